"""POP3 and IMAP on mail.example.com: Dovecot.

Dovecot serves the Maildir that Postfix (:mod:`playground.services.smtp`)
delivers to: POP3 on port 110 and IMAP on 143, each offering STARTTLS
(``STLS`` in POP3), and POP3S on 995 and IMAPS on 993, TLS from the first
byte. A password is accepted only inside TLS, so a plain-text login is
refused the way a careful server refuses it. Accounts are the host's own
(``/etc/passwd`` and ``/etc/shadow`` of ``mail``: the reader's).

Each ``up`` gives the reader a fresh mailbox of :func:`samples`: a welcome,
a message whose headers are not ASCII, and one with an attachment.
"""

from __future__ import annotations

import mailbox
import shutil
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from playground.services import machine
from playground.services.spec import Context, Port, Service

DOVECOT = "/usr/sbin/dovecot"
HOST = "mail"

CONFIG = """\
# Dovecot on mail.example.com (the network playground): made by up.
protocols = imap pop3
listen = *
base_dir = /run/dovecot
state_dir = /run/dovecot-state
instance_name = playground
log_path = /dev/stderr
hostname = mail.example.com
login_greeting = mail.example.com Dovecot ready.
ssl = yes
ssl_cert = <{certificate}
ssl_key = <{certificate}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {{
  driver = shadow
}}
userdb {{
  driver = passwd
}}
first_valid_uid = 1000
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
service imap-login {{
  inet_listener imap {{
    port = 143
  }}
  inet_listener imaps {{
    port = 993
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 110
  }}
  inet_listener pop3s {{
    port = 995
    ssl = yes
  }}
}}
"""

READER = Address("Reader of the book", machine.READER, "example.com")
WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def samples() -> list[EmailMessage]:
    """The messages the reader's mailbox starts with."""
    welcome = EmailMessage()
    welcome["From"] = Address("Postmaster", "postmaster", "example.com")
    welcome["To"] = READER
    welcome["Subject"] = "Welcome to the machine room"
    welcome["Date"] = format_datetime(WHEN)
    welcome["Message-ID"] = "<welcome@mail.example.com>"
    welcome.set_content(
        "This mailbox lives on mail.example.com, inside the network playground.\n"
        "Mail sent to reader@example.com arrives here.\n"
    )
    accents = EmailMessage()
    accents["From"] = Address("Zoë Müller", "zoe", "example.net")
    accents["To"] = READER
    accents["Subject"] = "Grüße aus Zürich: naïve café, ½ price"
    accents["Date"] = format_datetime(WHEN.replace(hour=10))
    accents["Message-ID"] = "<accents@example.net>"
    accents.set_content("Headers need encoding (RFC 2047); this body is UTF-8: ✓\n")
    attached = EmailMessage()
    attached["From"] = Address("Geocoder", "geocoder", "example.com")
    attached["To"] = READER
    attached["Subject"] = "The coordinates you asked for"
    attached["Date"] = format_datetime(WHEN.replace(hour=11))
    attached["Message-ID"] = "<attachment@example.com>"
    attached.set_content("The places are in the attached file.\n")
    attached.add_attachment(
        b"name,latitude,longitude\nArchbold,41.521954,-84.306691\n",
        maintype="text",
        subtype="csv",
        filename="places.csv",
    )
    attached.set_boundary("=-=-= playground =-=-=")  # the same every time
    return [welcome, accents, attached]


def fresh_mailbox(home: Path, uid: int) -> Path:
    """Replace the Maildir in *home* with one holding :func:`samples`."""
    folder = home / "Maildir"
    shutil.rmtree(folder, ignore_errors=True)
    box = mailbox.Maildir(folder, create=True)
    for message in samples():
        box.add(message)
    box.close()
    machine.own(folder, uid)
    return folder


def command(ctx: Context) -> list[str]:
    uid = machine.reader_uid()
    run_dir = ctx.work.parent
    root = machine.prepare(run_dir, HOST, uid)
    fresh_mailbox(root / "home" / machine.READER, uid)
    # Dovecot refuses to start while the master.pid of an earlier run names
    # a live process (one still dying, say).
    (root / "run" / "dovecot" / "master.pid").unlink(missing_ok=True)
    config = ctx.work / "dovecot.conf"
    config.write_text(CONFIG.format(certificate=ctx.certificate))
    return machine.enter(run_dir, HOST, [DOVECOT, "-F", "-c", str(config)])


SERVICE = Service(
    name="pop-imap",
    summary="POP3 and IMAP, with STARTTLS and over TLS (Dovecot)",
    host=HOST,
    ports=(
        Port("pop3", "tcp", 110),
        Port("imap", "tcp", 143),
        Port("imaps", "tcp", 993, tls=True),
        Port("pop3s", "tcp", 995, tls=True),
    ),
    certificate=("mail.example.com", "pop.example.com", "imap.example.com"),
    command=command,
    loopback=False,
)
