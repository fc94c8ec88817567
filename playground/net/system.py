"""Talking to the host system for the network playground: whether it can
run here, running ``ip`` and friends, and files made under sudo.

Every failure is a :class:`NetError` whose text is one line for the reader.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


class NetError(Exception):
    """Something the reader must hear about in one line."""


def check_support(need: Iterable[str] = ("ip",)) -> None:
    """Raise :class:`NetError` unless this machine can run the playground."""
    if sys.platform != "linux" or not Path("/proc/self/ns/net").exists():
        raise NetError(
            "this system has no Linux network namespaces (the playground needs them)"
        )
    if os.geteuid() != 0:
        raise NetError(
            "network namespaces need root: run it with sudo (sudo make playground-up)"
        )
    for tool in need:
        if shutil.which(tool) is None:
            package = {"ip": "iproute2", "nft": "nftables"}.get(tool, tool)
            raise NetError(
                f"{tool} is missing: install Debian's {package} (make system-deps)"
            )


def _failure(argv: list[str], status: int, out: str, err: str) -> str:
    lines = (err or out).strip().splitlines() or [f"exit status {status}"]
    return f"{' '.join(argv[:4])} failed: {lines[0]}"


def run(argv: list[str], stdin: str | None = None) -> str:
    """Run a command; its output, or :class:`NetError` with its first error line."""
    done = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise NetError(_failure(argv, done.returncode, done.stdout, done.stderr))
    return done.stdout


def run_all(commands: list[tuple[list[str], str | None]]) -> None:
    """Run commands side by side (each with optional input); fail as :func:`run`."""
    procs = [
        (
            argv,
            subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for argv, _ in commands
    ]
    errors = []
    for (argv, proc), (_, stdin) in zip(procs, commands, strict=True):
        out, err = proc.communicate(stdin)
        if proc.returncode != 0:
            errors.append(_failure(argv, proc.returncode, out, err))
    if errors:
        raise NetError(errors[0])


def give_back(*paths: Path) -> None:
    """Under sudo, hand files made in the project back to the user who ran it,
    so that the loopback playground (run without root) can still use them."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() != 0 or not uid or not gid:
        return
    for path in paths:
        with contextlib.suppress(OSError):
            if path.stat().st_uid == 0:
                os.chown(path, int(uid), int(gid))


def make_dirs(path: Path) -> None:
    """``mkdir -p``, giving the new folders back to the sudo user (a root-owned
    ``build/`` would stop the reader's own ``make html``)."""
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    path.mkdir(parents=True, exist_ok=True)
    give_back(*missing)
