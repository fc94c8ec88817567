"""SMTP on mail.example.com: Postfix, the mail server a reader meets most.

It listens on port 25, offers STARTTLS with a certificate from the
playground's authority, accepts mail for ``example.com`` (and for
``mail.example.com``) and delivers it into the Maildir of the recipient's
home on ``mail``, where Dovecot (:mod:`playground.services.pop_imap`) reads
it. Mail for any other domain is refused: the playground relays for no
one. ``postmaster``, ``abuse`` and ``root`` are the reader.

Postfix's ``master`` runs in the foreground, straight (``postfix start``
would spend seconds checking its installation), with its configuration in
the service's work folder and its queue in the host's own ``/var/spool``
(:mod:`playground.services.machine`).

OpenSMTPD was the first choice (it is smaller); Debian 12's 6.8.0p2 cannot
complete a TLS handshake with OpenSSL 3 ("EVP lib"), so STARTTLS fails.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from playground.services import machine
from playground.services.spec import Context, Port, Service

MASTER = "/usr/lib/postfix/sbin/master"
HOST = "mail"

MAIN_CF = """\
# Postfix on mail.example.com (the network playground): made by up.
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, $mydomain, localhost
inet_interfaces = {address}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP Postfix
biff = no
alias_maps = texthash:{work}/aliases
alias_database =
home_mailbox = Maildir/
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_chain_files = {certificate}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_security_level = may
maillog_file = /dev/stdout
queue_directory = /var/spool/postfix
data_directory = /var/spool/postfix-data
"""

#: Every service Postfix needs to receive and deliver, none chrooted.
MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

ALIASES = """\
# Who gets the mail of the usual role addresses.
postmaster {reader}
abuse {reader}
root {reader}
"""

#: The queue's folders: name -> (mode, group); all owned by the postfix user.
QUEUE = {
    "active": (0o700, None),
    "bounce": (0o700, None),
    "corrupt": (0o700, None),
    "defer": (0o700, None),
    "deferred": (0o700, None),
    "flush": (0o700, None),
    "hold": (0o700, None),
    "incoming": (0o700, None),
    "private": (0o700, None),
    "saved": (0o700, None),
    "trace": (0o700, None),
    "maildrop": (0o730, "postdrop"),
    "public": (0o710, "postdrop"),
}


def make_queue(spool: Path) -> None:
    """Postfix's queue and data folders under *spool* (``postfix start``
    would make them, slowly)."""
    import grp

    owner = pwd.getpwnam("postfix")
    queue = spool / "postfix"
    (queue / "pid").mkdir(parents=True, exist_ok=True)
    for name, (mode, group) in QUEUE.items():
        path = queue / name
        path.mkdir(exist_ok=True)
        gid = grp.getgrnam(group).gr_gid if group else 0
        os.chown(path, owner.pw_uid, gid)
        path.chmod(mode)
    # A master of an earlier run may still be dying and hold its lock on
    # this file: the new master locks a new one.
    (queue / "pid" / "master.pid").unlink(missing_ok=True)
    data = spool / "postfix-data"
    data.mkdir(mode=0o700, exist_ok=True)
    os.chown(data, owner.pw_uid, 0)


def command(ctx: Context) -> list[str]:
    run_dir = ctx.work.parent
    root = machine.prepare(run_dir, HOST, machine.reader_uid())
    make_queue(root / "var" / "spool")
    (ctx.work / "aliases").write_text(ALIASES.format(reader=machine.READER))
    (ctx.work / "main.cf").write_text(
        MAIN_CF.format(work=ctx.work, certificate=ctx.certificate, address=ctx.address)
    )
    (ctx.work / "master.cf").write_text(MASTER_CF)
    return machine.enter(run_dir, HOST, [MASTER, "-s", "-c", str(ctx.work)])


SERVICE = Service(
    name="smtp",
    summary="SMTP with STARTTLS (Postfix)",
    host=HOST,
    ports=(Port("smtp", "tcp", 25),),
    certificate=("mail.example.com", "smtp.example.com"),
    command=command,
    ready=r"daemon started",
    # Postfix looks its interfaces up as it starts: it starts once they exist.
    bind="203.0.113.25",
    loopback=False,
)
