"""Broadcast a datagram to every host on the local network, or listen for one.

    broadcast.py listen            print each datagram that reaches the port
    broadcast.py send [MESSAGE]    send one datagram to the broadcast address

A broadcast stays on the link it was sent on: routers do not pass it on.
"""

import argparse
import os
import socket
import sys


def listen(port: int) -> int:
    """Print each datagram that reaches *port* until Ctrl-C; return a count."""
    received = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("", port))  # every address: a broadcast is for none of ours
        try:
            print(f"listening on port {port} (every IPv4 address)", flush=True)
            while True:
                data, (host, source) = sock.recvfrom(65535)
                received += 1
                seen = f"{len(data)} bytes from {host} port {source}"
                print(f"{seen}: {data!r}", flush=True)
        except KeyboardInterrupt:
            return received


def send(to: str, port: int, message: bytes, allowed: bool) -> None:
    """Send *message* to the broadcast address *to*, port *port*."""
    *_, address = socket.getaddrinfo(
        to, port, socket.AF_INET, socket.SOCK_DGRAM
    )[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        if allowed:  # without it, the kernel refuses: Permission denied
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.sendto(message, address)
        print(f"sent {len(message)} bytes to {to} port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--port", type=int, default=4242, help="(default: 4242)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("listen", parents=[common], help="print what arrives")
    sender = commands.add_parser("send", parents=[common], help="send once")
    add = sender.add_argument
    add("message", nargs="?", default="anyone there?", help="what to send")
    add("--to", default="255.255.255.255", help="(default: %(default)s)")
    add(
        "--without-so-broadcast",
        action="store_true",
        help="leave SO_BROADCAST unset, to see the kernel refuse",
    )
    args = parser.parse_args()
    if not 0 < args.port <= 65535:
        parser.error("--port must be 1-65535")
    if args.command == "listen":
        try:
            received = listen(args.port)
        except OSError as error:
            where = f"port {args.port}"
            sys.exit(f"broadcast: cannot listen on {where}: {error.strerror}")
        print(f"stopped (datagrams received: {received})")
        return
    where = f"{args.to} port {args.port}"
    allowed = not args.without_so_broadcast
    try:
        send(args.to, args.port, os.fsencode(args.message), allowed)
    except socket.gaierror as error:
        sys.exit(f"broadcast: cannot resolve {args.to}: {error.strerror}")
    except UnicodeError:  # a label over 63 characters, or not text at all
        sys.exit(f"broadcast: {args.to!r} is not a valid host name")
    except OSError as error:
        sys.exit(f"broadcast: cannot send to {where}: {error.strerror}")


if __name__ == "__main__":
    main()
