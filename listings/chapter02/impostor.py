"""Send a made-up whoami reply to a client's port, from a socket of our own.

Nothing about a UDP reply proves who sent it: a client that takes the first
datagram to reach its port believes whatever this sends. Point it at the
port a waiting client shows, or, with --every, keep sending until Ctrl-C,
as a blind attacker would, so that a client yet to start finds it waiting.
"""

import argparse
import os
import socket
import sys
import time
from typing import Any

Address = tuple[Any, ...]  # (host, port); IPv6 adds (flow info, scope id)
LIE = "hello 5 bytes from 192.0.2.66 port 6666"  # no host has this address


def forge(sock: socket.socket, victim: Address, lie: bytes) -> None:
    """Send *lie* to *victim*, then say from where."""
    sock.sendto(lie, victim)
    host, port = sock.getsockname()[:2]
    print(f"sent {len(lie)} bytes to {victim[0]} port {victim[1]}", end=" ")
    print(f"from {host} port {port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("port", type=int, help="the waiting client's port")
    add("--host", default="127.0.0.1", help="the client's host")
    add("--message", default=LIE, help="the reply to forge")
    add("--every", type=float, help="send again after so many seconds")
    args = parser.parse_args()
    if not 0 < args.port <= 65535:
        parser.error("the port must be 1-65535")
    if args.every is not None and not 0 < args.every <= 3600:
        parser.error("--every must be above 0 and at most 3600 seconds")
    where = f"{args.host} port {args.port}"
    try:
        family, kind, proto, _name, victim = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_DGRAM
        )[0]
    except socket.gaierror as error:
        sys.exit(f"impostor: cannot resolve {args.host}: {error.strerror}")
    except UnicodeError:  # a label over 63 characters, or not text at all
        sys.exit(f"impostor: {args.host!r} is not a valid host name")
    lie = os.fsencode(args.message)  # the bytes as typed, in any encoding
    with socket.socket(family, kind, proto) as sock:
        try:
            forge(sock, victim, lie)
            while args.every:  # quietly from now on
                time.sleep(args.every)
                sock.sendto(lie, victim)
        except OSError as error:
            sys.exit(f"impostor: cannot send to {where}: {error.strerror}")
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
