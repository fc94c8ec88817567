"""Send a datagram to a whoami server and print the reply, whoever sends it.

This client is trusting: it takes the first datagram that reaches its port
as the answer, without asking where it came from.
"""

import argparse
import os
import socket
import sys
from typing import Any

MAX_DATAGRAM = 65535
Address = tuple[Any, ...]  # (host, port); IPv6 adds (flow info, scope id)


def ask(sock: socket.socket, server: Address, request: bytes) -> None:
    """Send *request* to *server*; print the first datagram that arrives."""
    sock.sendto(request, server)
    host, port = sock.getsockname()[:2]  # known only now: sendto() chose it
    size, to = len(request), f"{server[0]} port {server[1]}"
    print(f"sent {size} bytes to {to}", end=" ")
    print(f"from {host} port {port}", flush=True)
    reply, sender = sock.recvfrom(MAX_DATAGRAM)
    text = reply.decode("utf-8", errors="replace")
    print(f"reply from {sender[0]} port {sender[1]}: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("message", nargs="?", default="hello", help="what to send")
    add("--host", default="127.0.0.1", help="the server's host")
    add("--port", type=int, default=4242, help="the server's port")
    add("--size", type=int, help="pad the message to this many bytes")
    add("--source-port", type=int, default=0, help="0: any free port")
    add("--timeout", type=float, default=2.0, help="in seconds")
    args = parser.parse_args()
    if not (0 < args.port <= 65535 and 0 <= args.source_port <= 65535):
        parser.error("ports must be 1-65535 (--source-port may be 0)")
    if not 0 <= (args.size or 0) <= MAX_DATAGRAM:
        parser.error(f"--size must be 0-{MAX_DATAGRAM}")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be above 0 and at most 3600 seconds")
    request = os.fsencode(args.message)  # the bytes as typed, in any encoding
    if args.size is not None:
        if args.size < (needed := len(request)):
            shortfall = f"--size {args.size} is less than the message's"
            parser.error(f"{shortfall} {needed} bytes")
        request = request.ljust(args.size)
    where = f"{args.host} port {args.port}"
    try:
        family, kind, proto, _name, server = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_DGRAM
        )[0]
    except socket.gaierror as error:
        reason = error.strerror
        sys.exit(f"whoami_client: cannot resolve {args.host}: {reason}")
    except UnicodeError:  # a label over 63 characters, or not text at all
        sys.exit(f"whoami_client: {args.host!r} is not a valid host name")
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(args.timeout)
        if args.source_port:  # rarely wanted: any free port does for a client
            try:
                sock.bind(("", args.source_port))
            except OSError as error:
                port = args.source_port
                reason = error.strerror
                sys.exit(f"whoami_client: cannot use port {port}: {reason}")
        try:
            ask(sock, server, request)
        except TimeoutError:
            wait = f"{args.timeout:g} s"
            sys.exit(f"whoami_client: no reply from {where} within {wait}")
        except OSError as error:
            reason = error.strerror
            sys.exit(f"whoami_client: cannot send to {where}: {reason}")
        except KeyboardInterrupt:
            sys.exit(f"whoami_client: interrupted, no reply from {where}")


if __name__ == "__main__":
    main()
