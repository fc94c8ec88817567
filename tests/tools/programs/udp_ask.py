"""A small UDP client for the harness's tests (not a listing): sends its
message to HOST PORT and prints the reply and its own port."""

from __future__ import annotations

import argparse
import socket
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("message", nargs="?", default="hello")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(args.timeout)
        sock.sendto(args.message.encode(), (args.host, args.port))
        try:
            reply, sender = sock.recvfrom(65535)
        except TimeoutError:
            sys.exit(f"udp_ask: no reply in {args.timeout:g} s")
        print(
            f"{reply.decode()!r} from port {sender[1]} to port {sock.getsockname()[1]}"
        )


if __name__ == "__main__":
    main()
