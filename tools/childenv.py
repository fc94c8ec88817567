"""The environments child processes run in: the one place that builds them.

Three kinds, for three jobs:

:func:`fixed`
    What a console session runs in (``python -m tools.sessions``): built
    from nothing, not inherited, so that a transcript is the same on every
    machine: ``LC_ALL=C.UTF-8``, ``PYTHONIOENCODING=utf-8``,
    ``PYTHONUTF8=1``, ``PYTHONUNBUFFERED=1``, ``PYTHONNOUSERSITE=1``,
    ``PYTHONHASHSEED=0``, ``COLUMNS=80``, ``LINES=24``, ``TZ=UTC``,
    ``NO_COLOR=1``, ``HOME`` a fresh folder, ``PATH`` starting with this
    project's virtual environment, and the network guard first on
    ``PYTHONPATH``.
:func:`guarded`
    What a listing runs in under test: this process's environment (so that
    coverage's settings reach the child), the guard and the checkout on
    ``PYTHONPATH``, UTF-8 output.
:func:`unguarded`
    What a command that must leave loopback runs in (the network
    playground's ``python -m playground.net``, whose traffic stays inside
    its namespaces): this process's environment without the guard.

:func:`on_network` is what a session on the network playground changes in
:func:`fixed`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from tools import paths

#: Settings every child gets, whatever the kind.
UTF8 = {"PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}


def default_interrupts() -> None:
    """Give Ctrl-C (SIGINT) its default meaning back in this process, and so
    in every child it starts from now on, if it arrived ignored.

    A shell that is not interactive starts its background jobs with SIGINT
    and SIGQUIT ignored, and an ignored signal stays ignored across
    ``exec``: Python then never raises KeyboardInterrupt, so a server
    listing a test or a session stops with Ctrl-C waits out its timeout
    instead. A handler, unlike "ignore", is reset to the default by
    ``exec``. (Call from the main thread; elsewhere it does nothing.)
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def venv_path(*more: str) -> str:
    """``PATH`` with this project's virtual environment first, then the
    system's usual folders and *more*."""
    bin_dir = str(Path(sys.executable).parent)
    return os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin", *more])


def fixed(
    home: Path, guard_log: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The fixed environment of a console session (see the module's doc)."""
    env = {
        "PATH": venv_path(),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "COLUMNS": "80",
        "LINES": "24",
        "NO_COLOR": "1",
        **UTF8,
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(paths.NETGUARD),
        "NETGUARD_LOG": str(guard_log),
    }
    env.update(extra or {})
    return env


def on_network(prefix: str, state: Path) -> dict[str, str]:
    """What a session on the network playground changes in :func:`fixed`:
    ``PATH`` also has ``/usr/sbin`` and ``/sbin``, as a root shell's does;
    ``PYTHONPATH`` is the checkout (so ``-m playground.net`` imports)
    instead of the guard, which allows only loopback while these commands
    reach the namespaces' addresses; and ``PLAYGROUND_NET_PREFIX`` and
    ``PLAYGROUND_STATE`` select the network *prefix* with its state in
    *state*."""
    return {
        "PATH": venv_path("/usr/sbin", "/sbin"),
        "PYTHONPATH": str(paths.ROOT),
        "PLAYGROUND_NET_PREFIX": prefix,
        "PLAYGROUND_STATE": str(state),
    }


def guarded(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """*base* (default: this process's environment) with the network guard
    and the checkout on ``PYTHONPATH``, UTF-8 output, and *extra*."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join([str(paths.NETGUARD), str(paths.ROOT)])
    env.update(UTF8)
    env.update(extra)
    return env


def unguarded(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """*base* (default: this process's environment) without anything on
    ``PYTHONPATH``, with UTF-8 output."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONPATH", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env
