"""SSH on every host of the network playground: OpenSSH's ``sshd``.

Each host runs its own ``sshd`` on port 22 with a host key of its own, and
lets in the reader's account (:mod:`playground.services.machine`) with the
reader's key or password. The keys are made once and kept in
``STATE/ssh/`` (like the certificate authority), so the hosts' keys stay
the same from one ``up`` to the next.

Every host's ``/etc/ssh`` (``/etc/netns/NAMESPACE/ssh``, from
:func:`client_files`) tells the ``ssh`` client to log in as the reader with
the reader's key, knows every host's key, and completes short names
(``ssh www``) with the playground's domains, so ``ssh www`` from ``h1``
asks nothing and just works.

>>> [s.name for s in SERVICES][:2], SERVICES[0].port('ssh').label
(['ssh-h1', 'ssh-h2'], 'tcp/22')
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from playground.net import topology
from playground.net.system import give_back
from playground.services import machine
from playground.services.spec import Context, Port, Service

SSHD = "/usr/sbin/sshd"
#: What sshd prints (with -e) once it listens.
READY = r"^Server listening on 0\.0\.0\.0 port 22\."

SSHD_CONFIG = """\
# sshd on {host} (the network playground): made by up, removed by down.
Port 22
HostKey {key}
PidFile none
UsePAM yes
KbdInteractiveAuthentication no
PasswordAuthentication yes
PermitRootLogin no
AllowUsers {reader}
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
"""

CLIENT_CONFIG = """\
# The network playground's SSH client settings (on {host}): made by up,
# removed by down. Log in as the reader with the reader's key, and know
# every host's key, so no question is asked.
Host *
    User {reader}
    IdentityFile {key}
    CanonicalizeHostname yes
    CanonicalDomains {domains}
    CanonicalizeFallbackLocal yes
    GlobalKnownHostsFile /etc/ssh/ssh_known_hosts
    UserKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    SendEnv LANG LC_*
"""


def key_dir(state: Path) -> Path:
    return state / "ssh"


def _make_key(path: Path, comment: str) -> None:
    """An Ed25519 key pair at *path* and *path*.pub (OpenSSH formats)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private)
    path.with_name(path.name + ".pub").write_bytes(public + f" {comment}\n".encode())


def keys(state: Path) -> Path:
    """Make the reader's key and every host's key, where missing; the folder."""
    folder = key_dir(state)
    wanted = [("reader", f"{machine.READER}@playground")]
    wanted += [(f"host-{h.name}", h.name) for h in topology.HOSTS]
    for name, comment in wanted:
        if not (folder / name).exists() or not (folder / f"{name}.pub").exists():
            _make_key(folder / name, comment)
    # Under sudo, the reader's own account keeps the folder (ssh and sshd,
    # run as root, accept keys another user owns if only that user can read).
    give_back(folder, *folder.iterdir())
    return folder


def public(state: Path, name: str) -> str:
    """``TYPE BASE64`` of a key in the key folder."""
    text = (key_dir(state) / f"{name}.pub").read_text().split()
    return f"{text[0]} {text[1]}"


def names(host: topology.Host) -> list[str]:
    """What a client may call *host*: its DNS names (short ones too, which
    ``ssh`` completes) and its addresses.

    >>> ' '.join(names(topology.host('backbone')))
    'backbone.example.net backbone ns.example.com ns 192.0.2.1 192.0.2.5 192.0.2.53'
    """
    addresses = [cidr.split("/")[0] for _iface, cidr in topology.addresses(host.name)]
    fqdns = [host.fqdn] if host.fqdn else []
    for name, rtype, value in topology.ALIASES:
        if (rtype == "A" and value in addresses) or (
            rtype == "CNAME" and value == host.fqdn
        ):
            fqdns.append(name)
    found: list[str] = []
    for fqdn in fqdns:
        # A short name is one label of a name under a domain: "www", not "example".
        short = [fqdn.split(".")[0]] if fqdn.count(".") > 1 else []
        found += [n for n in [fqdn, *short] if n not in found]
    return found + [a for a in addresses if a not in found]


def known_hosts(state: Path) -> str:
    lines = [
        f"{','.join(names(h))} {public(state, f'host-{h.name}')}\n"
        for h in topology.HOSTS
    ]
    return "".join(lines)


def client_files(state: Path, host: str) -> dict[str, str]:
    """The files of *host*'s ``/etc/ssh``, name -> text."""
    folder = keys(state)
    return {
        "ssh_config": CLIENT_CONFIG.format(
            host=host,
            reader=machine.READER,
            key=folder / "reader",
            domains=" ".join(topology.ZONES),
        ),
        "ssh_known_hosts": known_hosts(state),
    }


def write_client(folder: Path, state: Path, host: str) -> None:
    """Write *host*'s ``/etc/ssh`` into *folder* (``/etc/netns/NS/ssh``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in client_files(state, host).items():
        (folder / name).write_text(text)


def command_for(host: str) -> Callable[[Context], list[str]]:
    def command(ctx: Context) -> list[str]:
        """Write sshd's configuration and the reader's authorized key."""
        uid = machine.reader_uid()
        run_dir = ctx.work.parent
        root = machine.prepare(run_dir, host, uid)
        folder = keys(ctx.state)
        config = ctx.work / "sshd_config"
        config.write_text(
            SSHD_CONFIG.format(
                host=host, key=folder / f"host-{host}", reader=machine.READER
            )
        )
        dot_ssh = root / "home" / machine.READER / ".ssh"
        dot_ssh.mkdir(mode=0o700, exist_ok=True)
        (dot_ssh / "authorized_keys").write_text(public(ctx.state, "reader") + "\n")
        machine.own(dot_ssh, uid)
        return machine.enter(run_dir, host, [SSHD, "-D", "-e", "-f", str(config)])

    return command


SERVICES: tuple[Service, ...] = tuple(
    Service(
        name=f"ssh-{h.name}",
        summary="SSH (OpenSSH)",
        host=h.name,
        ports=(Port("ssh", "tcp", 22),),
        command=command_for(h.name),
        ready=READY,
        loopback=False,
    )
    for h in topology.HOSTS
)
