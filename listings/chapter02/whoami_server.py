"""A UDP server that tells each client the address its datagram came from.

Every datagram gets one reply: the request's first word (a tag the client
can match), the datagram's size, and the address and port it arrived from,
as this machine sees them. Run it, then send it something with
whoami_client.py; Ctrl-C stops it.
"""

import argparse
import socket
import sys

MAX_DATAGRAM = 65535  # no UDP datagram can be larger than this


def open_server(host: str, port: int) -> socket.socket:
    """Return a UDP socket bound to *host* and *port* (0: any free port)."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def reply_to(request: bytes, sender: tuple[str, int]) -> bytes:
    """The answer to *request* from *sender*: its tag, size and origin."""
    tag = request.split(maxsplit=1)[0][:32] if request.strip() else b"-"
    host, port = sender[0].encode(), sender[1]
    return b"%s %d bytes from %s port %d" % (tag, len(request), host, port)


def serve(sock: socket.socket, drop: int) -> tuple[int, int]:
    """Answer datagrams until Ctrl-C, except the first *drop* of them;
    return how many arrived and how many were answered."""
    received = answered = 0
    try:
        host, port = sock.getsockname()[:2]
        print(f"listening on {host} port {port} (UDP)", flush=True)
        while True:
            request, sender = sock.recvfrom(MAX_DATAGRAM)
            received += 1
            if received <= drop:
                continue  # as if lost on the way: no reply, and not a word
            seen = f"{len(request)} bytes from {sender[0]} port {sender[1]}"
            more = "..." if len(request) > 20 else ""  # a glimpse is enough
            print(f"{seen}: {request[:20]!r}{more}", flush=True)
            try:
                sock.sendto(reply_to(request, sender), sender)
                answered += 1
            except OSError as error:  # the sender's network may be gone by now
                print(f"cannot answer {seen}: {error.strerror}", flush=True)
    except KeyboardInterrupt:
        return received, answered


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on")
    add("--port", type=int, default=4242, help="0: any free port")
    add("--drop", type=int, default=0, metavar="N", help="ignore the first N")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535 or args.drop < 0:
        parser.error("--port must be 0-65535 and --drop at least 0")
    where = f"{args.host} port {args.port}"
    try:
        sock = open_server(args.host, args.port)
    except socket.gaierror as error:
        reason = error.strerror
        sys.exit(f"whoami_server: cannot resolve {args.host}: {reason}")
    except UnicodeError:  # a label over 63 characters, or not text at all
        sys.exit(f"whoami_server: {args.host!r} is not a valid host name")
    except OSError as error:
        sys.exit(f"whoami_server: cannot listen on {where}: {error.strerror}")
    with sock:
        received, answered = serve(sock, args.drop)
    print(f"stopped (datagrams received: {received}, answered: {answered})")


if __name__ == "__main__":
    main()
