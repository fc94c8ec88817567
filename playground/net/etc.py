"""The hosts' own files: ``/etc/netns/NAMESPACE/``, which ``ip netns exec``
mounts over their ``/etc`` namesakes.

``resolv.conf`` (the resolver asks 192.0.2.53), ``hosts`` (only localhost)
and ``nsswitch.conf`` (host names come from files, then DNS, whatever the
host machine uses), and the machine room's accounts, trust store and SSH
settings (:mod:`playground.services.machine`). :func:`remove` takes away
only these, and a folder only if nothing of the reader's own is left in it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from playground.net import topology
from playground.net.topology import HOSTS

NETNS_ETC = Path("/etc/netns")

RESOLV_CONF = f"""\
# The network playground's resolver (python -m playground.net); removed by down.
nameserver {topology.DNS_ADDRESS}
options timeout:2 attempts:2
"""
HOSTS_FILE = """\
# The network playground's hosts file (python -m playground.net); removed by down.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
"""


def nsswitch_conf() -> str:
    """The host machine's nsswitch.conf with host names from files, then DNS."""
    try:
        lines = Path("/etc/nsswitch.conf").read_text().splitlines()
    except OSError:
        lines = []
    kept = [line for line in lines if line.split(":")[0].strip() != "hosts"]
    return "\n".join([*kept, "hosts:          files dns", ""])


def files() -> dict[str, str]:
    """Every host's files: name -> contents (the same on every host)."""
    return {
        "resolv.conf": RESOLV_CONF,
        "hosts": HOSTS_FILE,
        "nsswitch.conf": nsswitch_conf(),
    }


ETC_FILES = ("resolv.conf", "hosts", "nsswitch.conf")


def write(prefix: str, state: Path) -> None:
    """Every host's files, and the machine room's (accounts, trust store,
    SSH settings: :func:`playground.services.machine.write_etc`), which need
    the CA in *state*."""
    from playground.services import machine

    contents = files()
    folders = {h.name: NETNS_ETC / f"{prefix}{h.name}" for h in HOSTS}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in contents.items():
            (folder / name).write_text(text)
    machine.write_etc(folders, state)


def remove(prefix: str) -> None:
    from playground.services import machine

    try:
        folders = [f for f in NETNS_ETC.iterdir() if f.name.startswith(prefix)]
    except OSError:
        return
    for folder in folders:
        for name in ETC_FILES:
            (folder / name).unlink(missing_ok=True)
        machine.remove_etc(folder)
        # Left alone if the reader put something of their own there.
        with contextlib.suppress(OSError):
            folder.rmdir()
    with contextlib.suppress(OSError):
        NETNS_ETC.rmdir()  # only if empty
