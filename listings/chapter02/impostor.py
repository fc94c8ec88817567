"""Send a made-up whoami reply to a client's port, from a socket of our own.

Nothing about a UDP reply proves who sent it: a client that takes the first
datagram to reach its port believes whatever this sends. Point it at the
port a waiting client shows.
"""

import argparse
import socket
import sys

LIE = "hello 5 bytes from 192.0.2.66 port 6666"  # no host has this address


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("port", type=int, help="the waiting client's port")
    add("--host", default="127.0.0.1", help="the client's host")
    add("--message", default=LIE, help="the reply to forge")
    args = parser.parse_args()
    if not 0 < args.port <= 65535:
        parser.error("the port must be 1-65535")
    where = f"{args.host} port {args.port}"
    try:
        family, kind, proto, _name, victim = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_DGRAM
        )[0]
    except socket.gaierror as error:
        sys.exit(f"impostor: cannot resolve {args.host}: {error.strerror}")
    with socket.socket(family, kind, proto) as sock:
        try:
            sock.sendto(args.message.encode(), victim)
        except OSError as error:
            sys.exit(f"impostor: cannot send to {where}: {error.strerror}")
        port = sock.getsockname()[1]
    print(f"sent {args.message!r} to {where} from port {port}")


if __name__ == "__main__":
    main()
