"""Find the largest UDP datagram that reaches a whoami server in one piece.

Linux and IPv4 only. The socket sets the Don't Fragment bit on everything it
sends, so a datagram too large for some link on the way is never split into
fragments: either this host refuses to send it (EMSGSIZE), or a router
drops it and says so in an ICMP message that teaches this host's kernel the
path's MTU. The listing then tries the largest size that the new MTU allows,
until the server answers.
"""

import argparse
import errno
import socket
import sys

# ANCHOR: options
# Linux's values from <linux/in.h>. Python's socket module lacks these names
# (3.11 to 3.13 at least); should a later Python define them, its own win.
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DONT = getattr(socket, "IP_PMTUDISC_DONT", 0)  # never set DF
IP_PMTUDISC_DO = getattr(socket, "IP_PMTUDISC_DO", 2)  # always set DF
IP_MTU = getattr(socket, "IP_MTU", 14)
OVERHEAD = 20 + 8  # an IPv4 header without options, and the UDP header
LARGEST = 65535 - OVERHEAD  # what fits in IPv4's 16-bit length field
# ANCHOR_END: options


def path_mtu(sock: socket.socket) -> int:
    """The kernel's current idea of the MTU of the connected socket's path."""
    return sock.getsockopt(socket.IPPROTO_IP, IP_MTU)


def attempt(sock: socket.socket, size: int) -> str:
    """Send one datagram of *size* bytes and say what became of it."""
    try:
        sock.send(b"pmtu".ljust(size)[:size])  # exactly *size* bytes
    except OSError as error:
        if error.errno != errno.EMSGSIZE:
            raise
        return f"too long to leave this host: the path MTU is {path_mtu(sock)}"
    try:
        sock.recv(65535)
    except OSError as error:
        if error.errno != errno.EMSGSIZE:
            raise  # TimeoutError, ConnectionRefusedError, ...
        return (
            f"a router said it is too long: the path MTU is {path_mtu(sock)}"
        )
    return "answered"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("host", nargs="?", default="127.0.0.1", help="the server's host")
    add("--port", type=int, default=4242, help="the server's port")
    add("--size", type=int, help="send only this size, once")
    add("--fragment", action="store_true", help="let IPv4 fragment")
    add("--timeout", type=float, default=2.0, help="in seconds")
    args = parser.parse_args()
    if not 0 < args.port <= 65535 or not 0 <= (args.size or 0) <= LARGEST:
        parser.error(f"--port must be 1-65535 and --size 0-{LARGEST}")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be above 0 and at most 3600 seconds")
    where = f"{args.host} port {args.port}"
    try:
        *_, server = socket.getaddrinfo(
            args.host, args.port, socket.AF_INET, socket.SOCK_DGRAM
        )[0]
    except socket.gaierror as error:
        reason = error.strerror
        sys.exit(f"pmtu: cannot resolve {args.host} (IPv4 only): {reason}")
    except UnicodeError:  # a label over 63 characters, or not text at all
        sys.exit(f"pmtu: {args.host!r} is not a valid host name")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(args.timeout)
        try:
            rule = IP_PMTUDISC_DONT if args.fragment else IP_PMTUDISC_DO
            sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, rule)
            sock.connect(server)  # IP_MTU needs a connected socket
            mtu = path_mtu(sock)
        except OSError as error:  # not Linux, most likely
            reason = error.strerror
            sys.exit(f"pmtu: cannot read the path MTU (Linux only): {reason}")
        known = f"path MTU to {server[0]}, as this host knows it"
        # ANCHOR: search
        size = args.size if args.size is not None else LARGEST
        try:
            print(f"{known}: {mtu}", flush=True)  # inside: Ctrl-C is one line
            while (outcome := attempt(sock, size)) != "answered":
                print(f"{size} bytes: {outcome}", flush=True)
                fits = path_mtu(sock) - OVERHEAD
                if args.size is not None or fits >= size:
                    sys.exit(1)  # one size only, or the MTU did not shrink
                size = fits
        except TimeoutError:
            sys.exit(f"pmtu: no answer from {where} to {size} bytes")
        except OSError as error:
            sys.exit(f"pmtu: {size} bytes to {where}: {error.strerror}")
        except KeyboardInterrupt:
            sys.exit(f"pmtu: interrupted, no answer from {where}")
        print(f"{size} bytes: answered (path MTU {path_mtu(sock)})")
        # ANCHOR_END: search


if __name__ == "__main__":
    main()
