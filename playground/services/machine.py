"""What the machine room's real daemons share: each host's own files, the
reader's account, and the trust store every host keeps.

A real machine has its own ``/run``, logs, spool, mailboxes and home
folders; the playground's hosts share one file system with the machine
they run on. So every daemon starts through :func:`enter`: inside its
namespace (``ip netns exec`` already gives it a mount namespace of its own)
it binds its host's folders from the state folder over the changing parts
of the file system (:data:`VIEW`), takes the host's name in a UTS namespace
of its own, and only then runs. Nothing it writes lands outside the state
folder, and its mounts vanish with it.

``ip netns exec`` also mounts ``/etc/netns/NAMESPACE/*`` over ``/etc/*``:
:func:`etc_files` gives each host its own ``passwd``, ``group`` and
``shadow`` (the machine's own, plus the reader's account, so the account
exists only inside the playground), and :func:`trust_store` its own
``/etc/ssl`` holding the playground's certificate authority, which
OpenSSL, curl and Python's ``ssl`` read by default.

>>> VIEW[0], READER, PASSWORD
('run', 'reader', 'on-the-wire')
>>> 'reader:x:' in account_lines(2000)['passwd']
True
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

#: The reader's account on every host, and its password (the same
#: everywhere; services that ask for a password accept it only over TLS).
READER = "reader"
PASSWORD = "on-the-wire"
HOME = f"/home/{READER}"
#: SHA-512 crypt of PASSWORD (``openssl passwd -6 -salt playground``).
PASSWORD_HASH = (
    "$6$playground$BIgt3szI/vbvzV04WUwEJVtezsL3vvNOpWKLqhSBAy16AuerPW3fZ8"
    "erHWnkcXk5OjOmGEdjbbklojWozREcR1"
)
#: The folders each host has of its own (under ``/``), from
#: ``STATE/net-PREFIX/hosts/HOST/``; all exist on a Debian system.
VIEW = ("run", "var/log", "var/spool", "var/mail", "home", "srv")
#: First uid tried for the reader (one not used by the machine is taken).
FIRST_UID = 2000

#: A file in each host's own ``/run``, naming the host.
MARK = ".playground-host"
#: Run inside the namespace: bind the host's folders (all in one ``mount``),
#: check that its ``/run`` is there, take its name, become the daemon. A
#: daemon never runs with the machine's own folders.
ENTER = (
    'mount --all --fstab "$1" && [ "$(cat /run/' + MARK + ')" = "$2" ]'
    ' && hostname "$2" && shift 2 && exec "$@"'
)


def hosts_dir(run_dir: Path) -> Path:
    """The folder holding every host's own files."""
    return run_dir / "hosts"


def host_root(run_dir: Path, host: str) -> Path:
    """The folder holding *host*'s own files."""
    return hosts_dir(run_dir) / host


def enter(run_dir: Path, host: str, argv: list[str]) -> list[str]:
    """The command line that runs *argv* with *host*'s own folders and
    name (to be run inside *host*'s namespace)."""
    fstab = host_root(run_dir, host) / "fstab"
    return ["unshare", "--uts", "sh", "-c", ENTER, "sh", str(fstab), host, *argv]


def remove_hosts(run_dir: Path) -> None:
    """Take away every host's own files (``down``; the next ``up`` makes
    them afresh: a new mailbox, a new FTP tree)."""
    shutil.rmtree(hosts_dir(run_dir), ignore_errors=True)


def reader_uid() -> int:
    """A uid (and gid) the machine itself uses for no user or group."""
    taken = set()
    for name in ("/etc/passwd", "/etc/group"):
        with contextlib.suppress(OSError):
            for line in Path(name).read_text().splitlines():
                fields = line.split(":")
                if len(fields) > 2 and fields[2].isdigit():
                    taken.add(int(fields[2]))
    uid = FIRST_UID
    while uid in taken:
        uid += 1
    return uid


def account_lines(uid: int) -> dict[str, str]:
    """The reader's line in each of ``passwd``, ``group`` and ``shadow``."""
    return {
        "passwd": f"{READER}:x:{uid}:{uid}:Reader of the book:{HOME}:/bin/bash\n",
        "group": f"{READER}:x:{uid}:\n",
        "shadow": f"{READER}:{PASSWORD_HASH}:20000:0:99999:7:::\n",
    }


def etc_files(uid: int) -> dict[str, str]:
    """``passwd``, ``group`` and ``shadow`` for a host: the machine's own
    (so the daemons' system users are there), plus the reader."""
    found = {}
    for name, line in account_lines(uid).items():
        try:
            text = Path("/etc", name).read_text()
        except OSError:
            text = ""
        kept = [
            row for row in text.splitlines(True) if not row.startswith(READER + ":")
        ]
        found[name] = "".join(kept) + line
    return found


def write_accounts(folder: Path, uid: int) -> None:
    """Write the account files into *folder* (``/etc/netns/NAMESPACE``);
    ``shadow`` readable by root and the shadow group only, as on the machine."""
    for name, text in etc_files(uid).items():
        path = folder / name
        mode = 0o640 if name == "shadow" else 0o644
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        if name == "shadow":
            with contextlib.suppress(KeyError, OSError):
                shutil.chown(path, group="shadow")


def subject_hash(ca_pem: bytes) -> str:
    """The name OpenSSL looks a CA up by in a ``capath`` folder (``HASH.0``)."""
    return (
        subprocess.run(
            ["openssl", "x509", "-hash", "-noout"],
            input=ca_pem,
            capture_output=True,
            check=False,
        )
        .stdout.decode()
        .strip()
    )


def trust_store(folder: Path, ca_pem: bytes, digest: str) -> None:
    """Make *folder* (``/etc/netns/NAMESPACE/ssl``) an ``/etc/ssl`` that
    trusts the playground's authority only: the bundle that OpenSSL, curl
    and Python read, the hashed link (*digest*, from :func:`subject_hash`)
    that ``capath`` readers look up, and the machine's ``openssl.cnf``."""
    certs = folder / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    (folder / "private").mkdir(mode=0o700, exist_ok=True)
    with contextlib.suppress(OSError):
        shutil.copyfile("/etc/ssl/openssl.cnf", folder / "openssl.cnf")
    (certs / "ca-certificates.crt").write_bytes(ca_pem)
    (certs / "playground-ca.pem").write_bytes(ca_pem)
    if digest:
        link = certs / f"{digest}.0"
        link.unlink(missing_ok=True)
        link.symlink_to("playground-ca.pem")


def _write_whole(path: Path, text: str) -> None:
    """Write *text* to *path* unless it holds it already, whole or not at
    all: another daemon of the same host may be starting and reading it."""
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            return
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    os.replace(partial, path)


def _fstab_path(path: Path) -> str:
    """*path* as fstab writes it (a space is ``\\040``)."""
    return str(path).replace("\\", "\\134").replace(" ", "\\040")


def prepare(run_dir: Path, host: str, uid: int) -> Path:
    """Make *host*'s own folders (again: nothing to do) and the reader's
    home there; return the host's folder."""
    root = host_root(run_dir, host)
    for name in VIEW:
        (root / name).mkdir(parents=True, exist_ok=True)
    lines = [f"{_fstab_path(root / name)} /{name} none bind 0 0\n" for name in VIEW]
    _write_whole(root / "fstab", "".join(lines))
    (root / "run" / "sshd").mkdir(mode=0o755, exist_ok=True)
    _write_whole(root / "run" / MARK, host)
    home = root / "home" / READER
    if not home.exists():
        home.mkdir(mode=0o755)
        os.chown(home, uid, uid)
    return root


def own(path: Path, uid: int) -> None:
    """Give *path* and everything under it to the reader."""
    os.chown(path, uid, uid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


#: What :func:`write_etc` puts in ``/etc/netns/NAMESPACE/`` (files and folders).
ETC_ENTRIES = ("passwd", "group", "shadow", "ssl", "ssh")


def write_etc(folders: dict[str, Path], state: Path) -> None:
    """Everything of the machine room's in each host's ``/etc`` (*folders*:
    host name -> ``/etc/netns/NAMESPACE``): the accounts, the trust store,
    the SSH client's settings."""
    from playground import tls
    from playground.services import ssh

    uid = reader_uid()
    ca_pem = tls.ca_file(state).read_bytes()
    digest = subject_hash(ca_pem)
    for host, folder in folders.items():
        write_accounts(folder, uid)
        trust_store(folder / "ssl", ca_pem, digest)
        ssh.write_client(folder / "ssh", state, host)


def remove_etc(folder: Path) -> None:
    """Take away what :func:`write_etc` made in *folder*."""
    for name in ETC_ENTRIES:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
