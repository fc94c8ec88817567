"""The machine room's real daemons, checked by real clients from the home
hosts behind NAT: Postfix (SMTP), Dovecot (POP3, IMAP), vsftpd (FTP),
telnetd, OpenSSH on every host, and the reader's tools.

Like tests/test_net.py these need root and Linux network namespaces (as in
CI) and are skipped with the reason elsewhere; they build their own
playground under their own prefix (``powm<PID>-``) and state folder, and
tear it down at the end, checking that the machine is left as it was: no
namespace, no process, no file in ``/etc/netns``, and ``/etc/passwd``,
``/etc/group``, ``/etc/shadow``, ``/run``, ``/var/spool``, ``/var/log``,
``/var/mail``, ``/home`` and ``/srv`` unchanged.

The clients run inside the hosts with ``ip netns exec`` and an environment
that names no certificate file: they trust the playground's authority
because the host's own ``/etc/ssl`` does, as a real machine would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.net import build, topology
from playground.services import ftp, machine, pop_imap

ROOT = Path(__file__).resolve().parents[2]
PREFIX = f"powm{os.getpid()}-"
PASSWORD = machine.PASSWORD
#: What ``nmap`` must find open on each machine room host, and nothing else.
OPEN = {
    "www": {22, 80, 443},
    "mail": {22, 25, 110, 143, 993, 995},
    "ftp": {21, 22, 23},
    "backbone": {22, 53},
}
#: Dovecot's words for a password offered outside TLS.
PLAINTEXT_REFUSED = (
    "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)
TOOLS = ("ping", "tracepath", "tcpdump", "nmap", "curl", "ssh", "dig")
WATCHED = ("/run", "/var/spool", "/var/log", "/var/mail", "/home", "/srv")


def _why_not() -> str | None:
    try:
        build.check_support(("ip", "nft", *TOOLS, "sshd", "dovecot", "vsftpd"))
    except build.NetError as exc:
        return str(exc)
    for daemon in ("/usr/lib/postfix/sbin/master", "/usr/sbin/inetutils-inetd"):
        if not Path(daemon).exists():
            return f"{daemon} is missing (make system-deps installs it)"
    return None


WHY_NOT = _why_not()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"machine room: {WHY_NOT}"),
]


def clean_env() -> dict[str, str]:
    """This environment with no certificate file or guard named in it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE")
        and k != "REQUESTS_CA_BUNDLE"
    }
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def fingerprint() -> dict[str, str]:
    """What the machine's own files look like: account files' digests and
    the names in the folders the daemons would otherwise write to."""
    found = {}
    for name in ("/etc/passwd", "/etc/group", "/etc/shadow"):
        found[name] = hashlib.sha256(Path(name).read_bytes()).hexdigest()
    for folder in WATCHED:
        names = sorted(p.name for p in Path(folder).iterdir() if p.name != "netns")
        found[folder] = " ".join(names)
    found["/etc/netns"] = " ".join(
        sorted(p.name for p in Path("/etc/netns").glob(f"{PREFIX}*"))
        if Path("/etc/netns").exists()
        else []
    )
    return found


class Room:
    def __init__(self, state: Path) -> None:
        self.state = state

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "playground.net", "--prefix", PREFIX]
        env = clean_env()
        env["PYTHONPATH"] = str(ROOT)
        return subprocess.run(
            [*argv, "--state", str(self.state), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=timeout,
        )

    def on(
        self, host: str, *argv: str, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run *argv* on *host* as the reader's root shell there would."""
        return subprocess.run(
            ["ip", "netns", "exec", PREFIX + host, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=timeout,
        )

    def python(self, host: str, code: str) -> subprocess.CompletedProcess[str]:
        return self.on(host, sys.executable, "-c", textwrap.dedent(code))


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    before = fingerprint()
    r = Room(tmp_path_factory.mktemp("room-state"))
    up = r.cli("up")
    try:
        assert up.returncode == 0, up.stderr
        yield r
    finally:
        down = r.cli("down")
        assert down.returncode == 0, down.stderr
        after = fingerprint()
        assert after == before
        leftover = subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True
        )
        assert PREFIX not in leftover.stdout


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}: {done.stderr or done.stdout}"
    return done.stdout


# -- mail ----------------------------------------------------------------------


def test_mail_sent_from_h1_is_read_from_h2_by_pop3_and_imap(room: Room) -> None:
    subject = f"hello {uuid.uuid4().hex[:8]}"
    sent = room.python(
        "h1",
        f"""
        import smtplib
        from email.message import EmailMessage
        m = EmailMessage()
        m["From"], m["To"] = "someone@example.net", "reader@example.com"
        m["Subject"] = {subject!r}
        m.set_content("across the playground\\n")
        with smtplib.SMTP("mail.example.com", 25) as s:
            s.starttls()
            s.ehlo()
            print(s.send_message(m))
        """,
    )
    assert ok(sent).strip() == "{}"
    read = room.python(
        "h2",
        f"""
        import imaplib, poplib, time
        for attempt in range(50):
            with imaplib.IMAP4_SSL("imap.example.com") as m:
                m.login("reader", {PASSWORD!r})
                m.select("INBOX", readonly=True)
                found = m.search(None, "SUBJECT", '"{subject}"')[1][0].split()
            if found:
                break
            time.sleep(0.1)
        print("imap", len(found))
        p = poplib.POP3("pop.example.com")
        p.stls()
        p.user("reader")
        p.pass_({PASSWORD!r})
        count = p.stat()[0]
        heads = [b"\\n".join(p.top(i, 0)[1]) for i in range(1, count + 1)]
        p.quit()
        print("pop3", sum({subject!r}.encode() in h for h in heads))
        """,
    )
    assert ok(read).split() == ["imap", "1", "pop3", "1"]


def test_the_reader_mailbox_starts_with_the_samples(room: Room) -> None:
    done = room.python(
        "h1",
        f"""
        import email, email.policy, imaplib
        with imaplib.IMAP4("mail.example.com") as m:
            m.starttls()
            m.login("reader", {PASSWORD!r})
            m.select("INBOX", readonly=True)
            for num in m.search(None, "ALL")[1][0].split()[:3]:
                raw = m.fetch(num, "(RFC822)")[1][0][1]
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                files = [p.get_filename() for p in msg.iter_attachments()]
                print(msg["Subject"], "|", ",".join(files))
        """,
    )
    expected = [f"{m['Subject']} | " for m in pop_imap.samples()]
    expected[2] += "places.csv"
    assert ok(done).splitlines() == expected
    assert not expected[1].isascii()


def test_pop3s_and_imaps_from_a_home_host(room: Room) -> None:
    done = room.python(
        "h4",
        f"""
        import imaplib, poplib
        p = poplib.POP3_SSL("mail.example.com")
        print(p.user("reader").decode(), p.pass_({PASSWORD!r}).decode()[:3])
        p.quit()
        with imaplib.IMAP4_SSL("mail.example.com") as m:
            print(m.login("reader", {PASSWORD!r})[0])
        """,
    )
    assert ok(done).split() == ["+OK", "+OK", "OK"]


def test_smtp_relays_for_no_one(room: Room) -> None:
    done = room.python(
        "h1",
        """
        import smtplib
        with smtplib.SMTP("mail.example.com") as s:
            s.starttls()
            s.ehlo()
            try:
                s.sendmail("a@example.net", ["b@example.org"], "Subject: x\\r\\n\\r\\n")
            except smtplib.SMTPRecipientsRefused as e:
                code, why = e.recipients["b@example.org"]
                print(code, why.decode())
        """,
    )
    assert ok(done).startswith("554 5.7.1 <b@example.org>: Relay access denied")


# -- FTP -----------------------------------------------------------------------


def test_ftp_upload_from_h4_reads_back_from_h1(room: Room) -> None:
    text = f"uploaded from h4 {uuid.uuid4().hex}"
    up = room.python(
        "h4",
        f"""
        import ftplib, io
        with ftplib.FTP_TLS("ftp.example.com") as f:
            f.login("reader", {PASSWORD!r})
            f.prot_p()
            print(f.storbinary("STOR upload/note.txt", io.BytesIO({text!r}.encode())))
        """,
    )
    assert ok(up).startswith("226 ")
    back = room.python(
        "h1",
        f"""
        import ftplib, io
        with ftplib.FTP_TLS("ftp.example.com") as f:
            f.login("reader", {PASSWORD!r})
            f.prot_p()
            data = io.BytesIO()
            f.retrbinary("RETR upload/note.txt", data.write)
            print(data.getvalue().decode())
        """,
    )
    assert ok(back).strip() == text


def test_anonymous_ftp_reads_the_public_tree_and_writes_nothing(room: Room) -> None:
    done = room.python(
        "h1",
        """
        import ftplib, io
        with ftplib.FTP("ftp.example.com") as f:
            print(f.getwelcome())
            f.login()
            print(" ".join(sorted(f.nlst("pub"))))
            data = io.BytesIO()
            f.retrbinary("RETR pub/bytes.bin", data.write)
            print(len(data.getvalue()))
            try:
                f.storbinary("STOR pub/x", io.BytesIO(b"x"))
            except ftplib.error_perm as e:
                print(e)
            f.set_pasv(False)
            try:
                f.nlst()
            except ftplib.error_perm as e:
                print(e)
        """,
    )
    assert ok(done).splitlines() == [
        "220 ftp.example.com FTP server (vsftpd) ready.",
        "pub/bytes.bin pub/hello.txt",
        str(len(ftp.TREE["pub/bytes.bin"])),
        "550 Permission denied.",
        "500 Illegal PORT command.",
    ]


# -- failures a reader meets --------------------------------------------------


def test_plain_text_logins_are_refused_where_tls_is_required(room: Room) -> None:
    done = room.python(
        "h1",
        f"""
        import ftplib, imaplib, poplib
        try:
            with ftplib.FTP("ftp.example.com") as f:
                f.login("reader", {PASSWORD!r})
        except ftplib.error_perm as e:
            print("ftp", e)
        try:
            p = poplib.POP3("mail.example.com")
            p.user("reader")
            p.pass_({PASSWORD!r})
        except poplib.error_proto as e:
            print("pop3", e.args[0].decode())
        try:
            with imaplib.IMAP4("mail.example.com") as m:
                m.login("reader", {PASSWORD!r})
        except imaplib.IMAP4.error as e:
            print("imap", e.args[0].decode())
        """,
    )
    assert ok(done).splitlines() == [
        "ftp 530 Non-anonymous sessions must use encryption.",
        f"pop3 -ERR [AUTH] {PLAINTEXT_REFUSED}",
        f"imap [PRIVACYREQUIRED] {PLAINTEXT_REFUSED}",
    ]


def test_a_wrong_password_is_refused(room: Room) -> None:
    done = room.python(
        "h1",
        """
        import ftplib, imaplib, poplib
        try:
            with ftplib.FTP_TLS("ftp.example.com") as f:
                f.login("reader", "wrong")
        except ftplib.error_perm as e:
            print("ftp", e)
        try:
            p = poplib.POP3_SSL("mail.example.com")
            p.user("reader")
            p.pass_("wrong")
        except poplib.error_proto as e:
            print("pop3", e.args[0].decode())
        try:
            with imaplib.IMAP4_SSL("mail.example.com") as m:
                m.login("reader", "wrong")
        except imaplib.IMAP4.error as e:
            print("imap", e.args[0].decode())
        """,
    )
    assert ok(done).splitlines() == [
        "ftp 530 Login incorrect.",
        "pop3 -ERR [AUTH] Authentication failed.",
        "imap [AUTHENTICATIONFAILED] Authentication failed.",
    ]


def test_a_certificate_for_another_name_is_refused(room: Room) -> None:
    """Asking mail's IMAPS port for www.example.com: the certificate does
    not name it, and both Python and curl say so."""
    done = room.python(
        "h1",
        """
        import socket, ssl
        context = ssl.create_default_context()
        with socket.create_connection(("mail.example.com", 993)) as raw:
            try:
                context.wrap_socket(raw, server_hostname="www.example.com")
            except ssl.SSLCertVerificationError as e:
                print(e.verify_message)
        """,
    )
    assert ok(done).strip() == (
        "Hostname mismatch, certificate is not valid for 'www.example.com'."
    )
    curl = room.on(
        "h1",
        "curl",
        "-sS",
        "--ssl-reqd",
        "--connect-to",
        "www.example.com:993:mail.example.com:993",
        "imaps://www.example.com/",
    )
    assert curl.returncode == 60
    assert "no alternative certificate subject name matches" in curl.stderr


# -- curl, for each protocol ----------------------------------------------------


def test_curl_speaks_every_protocol_with_tls_required(room: Room) -> None:
    user = f"reader:{PASSWORD}"
    mail = room.on(
        "h1",
        "curl",
        "-sS",
        "--ssl-reqd",
        "smtp://mail.example.com",
        "--mail-from",
        "curl@example.net",
        "--mail-rcpt",
        "reader@example.com",
        "-T",
        "-",
        stdin="Subject: from curl\r\n\r\nsent by curl\r\n",
    )
    ok(mail)
    for url in (
        "pop3://mail.example.com/",
        "pop3s://mail.example.com/",
        "imap://mail.example.com/INBOX?ALL",
        "imaps://mail.example.com/INBOX?ALL",
    ):
        listed = ok(room.on("h1", "curl", "-sS", "--ssl-reqd", "-u", user, url))
        assert re.search(r"^(\* SEARCH|1 )", listed, re.M), (url, listed)
    tree = ok(
        room.on(
            "h1", "curl", "-sS", "--ssl-reqd", "-u", user, "ftp://ftp.example.com/pub/"
        )
    )
    assert "hello.txt" in tree
    page = room.on(
        "h1",
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "https://www.example.com/search?q=Archbold&format=json",
    )
    assert ok(page) == "200"


def test_httpbin_answers_beside_the_geocoder(room: Room) -> None:
    """httpbin.example.com has an address of its own on www; it sees the
    request come from modemA, not from h1."""
    for scheme in ("http", "https"):
        done = room.on("h1", "curl", "-sS", f"{scheme}://httpbin.example.com/get?x=1")
        answer = json.loads(ok(done))
        assert answer["args"] == {"x": "1"}
        assert answer["origin"] == topology.host("modemA").address
        assert answer["url"] == f"{scheme}://httpbin.example.com/get?x=1"
    teapot = room.on(
        "h1", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
        "https://httpbin.example.com/status/418",
    )  # fmt: skip
    assert ok(teapot) == "418"


# -- SSH and Telnet --------------------------------------------------------------


def test_ssh_from_h1_reaches_every_host_it_can_route_to(room: Room) -> None:
    """``ssh NAME`` asks nothing: the reader's key and every host's key are
    known. h4 sits behind the other home's NAT, so it is reached from its
    own modem."""
    targets = {
        "h2": "192.168.1.12",
        "h3": "192.168.1.13",
        "modemA": "modema",
        "modemB": "modemb",
        "isp": "isp",
        "backbone": "backbone",
        "example": "gw",
        "www": "www",
        "mail": "mail",
        "ftp": "ftp",
    }
    for host, name in targets.items():
        done = room.on("h1", "ssh", "-o", "BatchMode=yes", name, "hostname; id -un")
        assert ok(done).split() == [host, machine.READER], host
    from_modem = room.on(
        "modemB", "ssh", "-o", "BatchMode=yes", "192.168.1.11", "hostname"
    )
    assert ok(from_modem).strip() == "h4"


def test_ssh_with_an_unknown_key_is_refused(room: Room, tmp_path: Path) -> None:
    key = tmp_path / "stranger"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
    )
    config = tmp_path / "config"
    config.write_text(f"User reader\nIdentityFile {key}\nBatchMode yes\n")
    done = room.on("h1", "ssh", "-F", str(config), "www.example.com", "true")
    assert done.returncode == 255
    assert "Permission denied (publickey,password)." in done.stderr


def test_telnet_logs_in_with_the_password_in_clear(room: Room) -> None:
    done = room.python(
        "h1",
        f"""
        import socket
        IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
        s = socket.create_connection(("ftp.example.com", 23), timeout=10)
        seen = bytearray()
        def read_until(marker):
            while marker not in seen:
                data = s.recv(4096)
                if not data:
                    raise SystemExit("closed: " + seen.decode(errors="replace"))
                i = 0
                while i < len(data):
                    if data[i] == IAC and i + 2 < len(data) + 1:
                        verb, option = data[i + 1], data[i + 2]
                        if verb in (DO, DONT):
                            s.sendall(bytes([IAC, WONT, option]))
                        elif verb in (WILL, WONT):
                            s.sendall(bytes([IAC, DONT, option]))
                        i += 3
                    else:
                        seen.append(data[i])
                        i += 1
        read_until(b"login: ")
        s.sendall(b"reader\\r\\n")
        read_until(b"Password:")
        s.sendall({PASSWORD!r}.encode() + b"\\r\\n")
        read_until(b"$ ")
        s.sendall(b"echo logged in as $(id -un) on $(hostname); exit\\r\\n")
        read_until(b"on ftp")
        print("logged in as reader on ftp")
        """,
    )
    assert ok(done).strip() == "logged in as reader on ftp"


# -- looking around --------------------------------------------------------------


def test_nmap_from_h1_finds_exactly_the_listed_ports(room: Room) -> None:
    targets = {topology.host(h).address: h for h in OPEN if h != "backbone"}
    targets[topology.DNS_ADDRESS] = "backbone"  # DNS listens on that address only
    done = room.on(
        "h1",
        "nmap",
        "-n",
        "-Pn",
        "-p-",
        "-T5",
        "--open",
        "-oG",
        "-",
        *targets,
        timeout=120,
    )
    found = {}
    for line in ok(done).splitlines():
        match = re.match(r"Host: (\S+) .*Ports: (.*?)(\tIgnored|$)", line)
        if match:
            ports = {int(p.split("/")[0]) for p in match.group(2).split(", ")}
            found[targets[match.group(1)]] = ports
    assert found == OPEN


def test_dns_knows_every_service_name_and_the_mx(room: Room) -> None:
    mx = ok(room.on("h1", "dig", "+short", "MX", "example.com"))
    assert mx.strip() == "10 mail.example.com."
    for name, host in (
        ("smtp.example.com", "mail"),
        ("pop.example.com", "mail"),
        ("imap.example.com", "mail"),
        ("ftp.example.com", "ftp"),
        ("www.example.com", "www"),
    ):
        answer = ok(room.on("h1", "dig", "+short", name)).split()
        assert answer[-1] == topology.host(host).address, name


def test_the_tools_are_on_every_host(room: Room) -> None:
    for h in topology.HOSTS:
        done = room.on(
            h.name, "sh", "-c", f"for t in {' '.join(TOOLS)}; do command -v $t; done"
        )
        assert len(ok(done).split()) == len(TOOLS), h.name
