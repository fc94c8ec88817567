"""What varies from run to run in a session's output, made fixed: named rules.

Two rules apply to every session, because the tool itself causes what they
undo: ``line-ends`` (CR LF becomes a plain line end, as a terminal shows
it) and ``ports`` (the playground runs on free ports; the reader's
``python -m playground`` uses 8080 and 8443). Every other rule applies only
to the sessions that name it (``normalise = ["http-date"]`` in the
session's entry), so that a rule one session needs can never hide a change
in another. A chapter's session file may define rules of its own, a regular
expression and its replacement (``[rules.NAME]``, see
:mod:`tools.sessions.manifest`); the built-in ones are below, applied in
this order:

``line-ends``
    CR LF becomes LF.
``whoami-port``
    A line made of an IPv4 address, a space and a port, which is what
    ``/_playground/whoami`` answers, shows the next client port instead of
    its port: 50001, 50002, ... (after the client ports already known), one
    per such line, so that two clients that happen to get the same port
    still make the same transcript. (Before ``ports``.)
``address-port``
    A port in a socket address as Python prints it, ``('192.0.2.1', 43125)``
    (or an IPv6 one, ``('::1', 43125, 0, 0)``), written out after an
    address, ``192.0.2.1 port 43125``, or after a colon, ``192.0.2.1:43125``
    or ``[::1]:43125`` (as ``ss`` prints it), when it is one of the
    ephemeral ports the kernel picks for clients (32768-60999), shows as the
    next client port, 50001, 50002, ... in order of first appearance; the
    same port shows the same number in every file of the session (the
    runner adds these to the ports that ``ports`` replaces, through
    :func:`address_ports`). (Before ``ports``.)
``ports``
    Each real port (the playground's, and the client ports it saw) becomes
    the port the reader would see (8080 for HTTP, 8443 for HTTPS, 50001,
    50002, ... for clients), wherever it stands as a number of its own (not
    inside a longer number, a decimal or a word).
``tracepath-rtt``
    A round-trip time as ``tracepath`` prints it (digits, a point, three
    digits and ``ms``) becomes ``0.100ms``, right-aligned where the time and
    the spaces before it ended, so the columns stay where ``tracepath`` put
    them.
``http-date``
    The value of a ``Date:`` header becomes ``Thu, 01 Jan 2026 12:00:00 GMT``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: The ports the reader's ``python -m playground`` listens on.
DISPLAY_HTTP_PORT = 8080
DISPLAY_HTTPS_PORT = 8443
#: Client ports the playground saw are shown as 50001, 50002, ... in order.
DISPLAY_CLIENT_PORT = 50001
#: What every ``Date:`` header shows.
DISPLAY_DATE = "Thu, 01 Jan 2026 12:00:00 GMT"
#: What every round-trip time that ``tracepath`` prints shows.
DISPLAY_RTT = "0.100ms"

_DATE_HEADER = re.compile(r"^(date:[ \t]*)\S.*$", re.IGNORECASE | re.MULTILINE)
# What /_playground/whoami answers: an IPv4 address and a port, alone on a line.
_WHOAMI_LINE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3} (\d{1,5})$", re.MULTILINE)
# A round-trip time as tracepath prints it (``%3ld.%03ldms``), with the spaces
# before it, so that the replacement can keep the column where it was.
_RTT = re.compile(r" *(?<![\w.])\d+\.\d{3}ms(?!\w)")

# A socket address: a quoted host then the port, as Python prints a tuple; or
# an address, " port ", the port.
_ADDRESS = re.compile(
    r"""(?:\(['"][0-9A-Fa-f.:]+['"], |(?<![\w.:])"""
    r"""(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:]*) port """
    # or HOST:PORT, as ss and the chapter 3 listings print it: an IPv4
    # address, or an IPv6 one in brackets, a colon, the port
    r"""|(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):)(\d{1,5})(?!\d)"""
)
EPHEMERAL = range(32768, 61000)

Rule = Callable[[str, Mapping[int, int]], str]


def address_ports(texts: Iterable[str], ports: Mapping[int, int]) -> dict[int, int]:
    """*ports* and, numbered after its client ports, each ephemeral port
    that the *texts* show in a socket address (rule ``address-port``).

    >>> address_ports(["from ('127.0.0.1', 43125)", "to ('::1', 43125, 0, 0)",
    ...                "('10.0.0.1', 1060) and ('10.0.0.2', 39000)",
    ...                "from 0.0.0.0 port 39000, from ::1 port 40001",
    ...                "127.0.0.1:41904 [::1]:45000 10:33000 203.0.113.80:1070",
    ...                "[::ffff:127.0.0.1]:46000"], {})
    {43125: 50001, 39000: 50002, 40001: 50003, 41904: 50004, 45000: 50005, 46000: 50006}
    """
    found = dict(ports)
    clients = [shown for shown in found.values() if shown >= DISPLAY_CLIENT_PORT]
    numbers = itertools.count(max(clients, default=DISPLAY_CLIENT_PORT - 1) + 1)
    for text in texts:
        for match in _ADDRESS.finditer(text):
            port = int(match[1])
            if port in EPHEMERAL and port not in found:
                found[port] = next(numbers)
    return found


def line_ends(text: str, ports: Mapping[int, int]) -> str:
    return text.replace("\r\n", "\n")


def whoami_port(text: str, ports: Mapping[int, int]) -> str:
    clients = [shown for shown in ports.values() if shown >= DISPLAY_CLIENT_PORT]
    numbers = itertools.count(max(clients, default=DISPLAY_CLIENT_PORT - 1) + 1)
    return _WHOAMI_LINE.sub(
        lambda m: m[0][: m.start(1) - m.start(0)] + str(next(numbers)), text
    )


def real_ports(text: str, ports: Mapping[int, int]) -> str:
    for real, shown in ports.items():
        text = re.sub(rf"(?<![\w.-]){real}(?![\w.])", str(shown), text)
    return text


def tracepath_rtt(text: str, ports: Mapping[int, int]) -> str:
    return _RTT.sub(lambda m: DISPLAY_RTT.rjust(len(m[0])), text)


def http_date(text: str, ports: Mapping[int, int]) -> str:
    return _DATE_HEADER.sub(lambda m: m.group(1) + DISPLAY_DATE, text)


#: The built-in rules, in the order they apply.
RULES: dict[str, Rule] = {
    "line-ends": line_ends,
    "whoami-port": whoami_port,
    "address-port": lambda text, ports: text,  # address_ports does its work
    "ports": real_ports,
    "tracepath-rtt": tracepath_rtt,
    "http-date": http_date,
}
#: The rules every session gets.
ALWAYS = ("line-ends", "ports")


@dataclass(frozen=True)
class Pattern:
    """A rule a chapter's session file defines: every match of *pattern*
    (a Python regular expression, multi-line mode) becomes *replacement*
    (``\\1`` and ``\\g<name>`` name groups)."""

    name: str
    pattern: str
    replacement: str

    def __call__(self, text: str, ports: Mapping[int, int]) -> str:
        return re.sub(self.pattern, self.replacement, text, flags=re.MULTILINE)


def normalise(
    text: str,
    ports: Mapping[int, int],
    rules: Iterable[str] = (),
    defined: Mapping[str, Pattern] | None = None,
) -> str:
    """*text* with the rules :data:`ALWAYS` and *rules* applied: the built-in
    ones in the order of :data:`RULES`, then those *defined* by the session
    file, in the order *rules* names them.

    >>> head = 'Host: 127.0.0.1:41234\\r\\nDate: Tue, 24 Nov 2026 07:01:02 GMT\\r\\n'
    >>> normalise(head, {41234: 8443}, ["http-date"])
    'Host: 127.0.0.1:8443\\nDate: Thu, 01 Jan 2026 12:00:00 GMT\\n'
    >>> normalise(head, {41234: 8443})
    'Host: 127.0.0.1:8443\\nDate: Tue, 24 Nov 2026 07:01:02 GMT\\n'
    >>> normalise('lat 41.41234, id 412345, port 41234', {41234: 8443})
    'lat 41.41234, id 412345, port 8443'
    >>> normalise('198.51.100.2 38442\\n198.51.100.6 38454\\n', {}, ["whoami-port"])
    '198.51.100.2 50001\\n198.51.100.6 50002\\n'
    >>> rtts = ' 1:  192.168.1.1     12.035ms\\n 2:  198.51.100.5     0.113ms'
    >>> normalise(rtts, {}, ["tracepath-rtt"])
    ' 1:  192.168.1.1      0.100ms\\n 2:  198.51.100.5     0.100ms'
    >>> pid = Pattern("pid", r"pid \\d+", "pid 4242")
    >>> normalise('started, pid 31337\\n', {}, ["pid"], {"pid": pid})
    'started, pid 4242\\n'
    """
    chosen = set(ALWAYS) | set(rules)
    for name, rule in RULES.items():
        if name in chosen:
            text = rule(text, ports)
    for name in rules:
        if name not in RULES:
            text = (defined or {})[name](text, ports)
    return text
