"""Send one datagram to a whoami server and print the reply, whoever sends it.

This client is trusting: it takes the first datagram that reaches its port
as the answer, without asking where it came from.
"""

import argparse
import socket
import sys
from typing import Any

MAX_DATAGRAM = 65535
Address = tuple[Any, ...]  # (host, port); IPv6 adds (flow info, scope id)


def ask(sock: socket.socket, server: Address, request: bytes) -> None:
    """Send *request* to *server*, then print the first datagram that arrives."""
    sock.sendto(request, server)
    host, port = sock.getsockname()[:2]  # known only now: sendto() picked the port
    print(f"sent {len(request)} bytes to {server[0]} port {server[1]}", end=" ")
    print(f"from {host} port {port}", flush=True)
    reply, sender = sock.recvfrom(MAX_DATAGRAM)
    text = reply.decode("utf-8", errors="replace")
    print(f"reply from {sender[0]} port {sender[1]}: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("message", nargs="?", default="hello", help="what to send")
    parser.add_argument("--host", default="127.0.0.1", help="the server's host")
    parser.add_argument("--port", type=int, default=4242, help="the server's port")
    parser.add_argument("--size", type=int, help="pad the message to this many bytes")
    parser.add_argument("--source-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--timeout", type=float, default=2.0, help="in seconds")
    args = parser.parse_args()
    if not (0 < args.port <= 65535 and 0 <= args.source_port <= 65535):
        parser.error("ports must be 1-65535 (--source-port may be 0)")
    request = args.message.encode()
    if args.size is not None:
        request = request.ljust(args.size)
    where = f"{args.host} port {args.port}"
    try:
        family, kind, proto, _name, server = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_DGRAM
        )[0]
    except socket.gaierror as error:
        sys.exit(f"whoami_client: cannot resolve {args.host}: {error.strerror}")
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(args.timeout)
        if args.source_port:  # rarely wanted: any free port does for a client
            try:
                sock.bind(("", args.source_port))
            except OSError as error:
                port = args.source_port
                sys.exit(f"whoami_client: cannot use port {port}: {error.strerror}")
        try:
            ask(sock, server, request)
        except TimeoutError:
            sys.exit(f"whoami_client: no reply from {where} within {args.timeout:g} s")
        except OSError as error:
            sys.exit(f"whoami_client: cannot send to {where}: {error.strerror}")


if __name__ == "__main__":
    main()
