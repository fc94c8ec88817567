"""The network playground the host sessions run on: a network of this run's own.

Sessions with a ``host`` run on the twelve hosts of ``playground.net``, in
namespaces ``powxPID-*`` (:func:`net_prefix`, PID being this process's id)
with a certificate authority in a scratch folder, so that neither the
reader's playground (``pow-*``), nor the tests' (``powt-*``), nor another run
of this tool at the same time is touched. That network comes up before the
first such session of a run and always comes down at the end (on an error,
Ctrl-C or SIGTERM too); a network whose run was killed outright is taken
down by the next run, which finds its process gone
(:func:`clear_abandoned_networks`). Without root or Linux network
namespaces, :func:`support` says why, and the sessions are skipped.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from pathlib import Path

from playground.net import build as net_build

#: The namespace prefix of the networks the host sessions run on.
NET_PREFIX = "powx"
_NET_NAME = re.compile(rf"^{NET_PREFIX}(\d+)-")


def net_prefix(pid: int | None = None) -> str:
    """The namespace prefix of the network of run *pid* (default: this one).

    >>> net_prefix(1234)
    'powx1234-'
    """
    return f"{NET_PREFIX}{os.getpid() if pid is None else pid}-"


def clear_abandoned_networks() -> list[int]:
    """Take down the networks of runs whose process is gone (killed outright,
    so that nothing took their network down); the process ids."""
    names = []
    for folder in (net_build.NETNS_RUN, net_build.NETNS_ETC):
        with contextlib.suppress(OSError):
            names += os.listdir(folder)
    pids = {int(m[1]) for n in names if (m := _NET_NAME.match(n))} - {os.getpid()}
    gone = sorted(pid for pid in pids if not net_build.alive(pid))
    for pid in gone:
        # Another run may be clearing the same network at this moment (each
        # run clears abandoned ones when it starts): what it removes first is
        # gone either way, so its failures to find something are no error.
        with (
            tempfile.TemporaryDirectory() as scratch,
            contextlib.suppress(net_build.NetError),
        ):
            net_build.Network(net_prefix(pid), Path(scratch)).down()
    return gone


def support() -> str:
    """Why the network playground cannot run here ("" when it can)."""
    try:
        net_build.check_support(("ip", "nft"))
    except net_build.NetError as exc:
        return str(exc)
    probe = f"{net_prefix()}probe"
    made = subprocess.run(
        ["ip", "netns", "add", probe], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        why = (made.stderr.strip().splitlines() or ["no reason given"])[0]
        return f"ip netns add fails here: {why}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return ""
