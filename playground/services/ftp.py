"""FTP on ftp.example.com: vsftpd.

Port 21, with explicit TLS (``AUTH TLS``, RFC 4217) from the playground's
authority. Anyone may log in as ``anonymous`` (no password asked), in
plain text as public FTP servers always allowed, and download the small
read-only tree of :data:`TREE`; the reader's account must use TLS for its
login and its data (``530 Non-anonymous sessions must use encryption.``
otherwise) and may also write to ``upload/``.

Passive mode works from behind the home routers' NAT with no help: the
client opens the data connection, to the address the server names, which
is public. Active mode (``PORT``) does not: the client names its private
address, which vsftpd refuses (``500 Illegal PORT command.``). With TLS no
NAT could rewrite the command anyway, so the playground loads no FTP
connection-tracking helper.

Python's ``ftplib`` does not resume the control connection's TLS session
on the data connection, so ``require_ssl_reuse`` is off (it is on by
default in vsftpd, and then ``ftplib`` fails with ``522``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playground.services import machine
from playground.services.spec import Context, Port, Service

VSFTPD = "/usr/sbin/vsftpd"
HOST = "ftp"
PASSIVE = (50000, 50099)

CONFIG = """\
# vsftpd on ftp.example.com (the network playground): made by up.
listen=YES
listen_ipv6=NO
background=NO
ftpd_banner=ftp.example.com FTP server (vsftpd) ready.
anonymous_enable=YES
anon_root=/srv/ftp
no_anon_password=YES
local_enable=YES
write_enable=YES
local_umask=022
local_root=/srv/ftp
chroot_local_user=YES
pasv_enable=YES
pasv_min_port={low}
pasv_max_port={high}
secure_chroot_dir=/run/vsftpd/empty
pam_service_name=vsftpd
ssl_enable=YES
rsa_cert_file={certificate}
rsa_private_key_file={certificate}
allow_anon_ssl=YES
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=NO
ssl_ciphers=HIGH
xferlog_enable=YES
vsftpd_log_file=/var/log/vsftpd.log
"""

#: The read-only tree: path -> contents.
TREE: dict[str, str | bytes] = {
    "README.txt": "This is ftp.example.com, the network playground's FTP server.\n"
    "Everyone may download from pub/; the reader may upload to upload/.\n",
    "pub/hello.txt": "Hello from the machine room.\n",
    "pub/bytes.bin": bytes(range(256)) * 4,
}


def make_tree(srv: Path, uid: int) -> Path:
    """The FTP root under *srv*, fresh: :data:`TREE` owned by root, and an
    empty ``upload/`` only the reader may enter."""
    root = srv / "ftp"
    shutil.rmtree(root, ignore_errors=True)
    for name, content in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    upload = root / "upload"
    upload.mkdir(mode=0o700)
    machine.own(upload, uid)
    return root


def command(ctx: Context) -> list[str]:
    uid = machine.reader_uid()
    run_dir = ctx.work.parent
    root = machine.prepare(run_dir, HOST, uid)
    make_tree(root / "srv", uid)
    (root / "run" / "vsftpd" / "empty").mkdir(parents=True, exist_ok=True)
    config = ctx.work / "vsftpd.conf"
    low, high = PASSIVE
    config.write_text(CONFIG.format(certificate=ctx.certificate, low=low, high=high))
    return machine.enter(run_dir, HOST, [VSFTPD, str(config)])


SERVICE = Service(
    name="ftp",
    summary="FTP with AUTH TLS (vsftpd)",
    host=HOST,
    ports=(Port("ftp", "tcp", 21),),
    certificate=("ftp.example.com",),
    command=command,
    loopback=False,
)
