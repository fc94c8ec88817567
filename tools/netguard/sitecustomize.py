"""The network guard: no test may reach beyond this machine's loopback.

Tests import this module; child processes that tests start get it too,
because the test fixtures put this folder first on their ``PYTHONPATH``
(Python imports ``sitecustomize`` at start-up). It replaces the socket
calls that leave the process with checks that allow only loopback
addresses (127.0.0.0/8, ::1) and local socket families, and resolves no
name but ``localhost`` (names under ``.invalid`` fail as DNS would fail
them). Every refusal raises ``OSError`` in the offender
and is appended to the file named by ``NETGUARD_LOG``, which the test
suite checks after each test, so a listing that catches the error and
exits quietly still fails the test.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto
_getaddrinfo = socket.getaddrinfo
_gethostbyname = socket.gethostbyname
_gethostbyname_ex = socket.gethostbyname_ex
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _complain(what: str) -> OSError:
    log = os.environ.get("NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{what}\n")
    return ConnectionRefusedError(f"netguard: tests may not reach {what}")


def is_loopback(host: Any) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host).lower() in LOCAL_NAMES


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if not is_loopback(host):
            raise _complain(f"{host} port {address[1]}")


def connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _connect(self, address)


def connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _connect_ex(self, address)


def sendto(self: socket.socket, data: Any, *args: Any) -> int:
    _check(self, args[-1])
    return _sendto(self, data, *args)


def _check_name(host: Any) -> None:
    """Allow loopback names and addresses; answer ``.invalid`` names (RFC 6761:
    they never resolve) as DNS would, with "not found"; refuse the rest."""
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or is_loopback(name):
        return
    if isinstance(name, str):  # a name no lookup can take (a label over 63
        name.encode("idna")  # characters, say) fails as the real call does
    if not str(name).rstrip(".").lower().endswith(".invalid"):
        _complain(f"name lookup of {name}")
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    _check_name(host)
    return _getaddrinfo(host, *args, **kwargs)


def gethostbyname(host: str) -> str:
    _check_name(host)
    return _gethostbyname(host)


def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    _check_name(host)
    return _gethostbyname_ex(host)


def install() -> None:
    socket.socket.connect = connect  # type: ignore[assignment,method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[assignment,method-assign]
    socket.socket.sendto = sendto  # type: ignore[assignment,method-assign]
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex


if os.environ.get("NETGUARD", "1") != "0":
    install()
