"""Ask a whoami server a question, retrying with exponential backoff.

A careful client: it connect()s its socket to the server, so the kernel
delivers datagrams from that address and port only; it tags its request with
a random ID and accepts only a reply carrying that ID; and when no reply comes
it sends the request again, waiting twice as long each time, up to a cap,
until it has made its last try.
"""

import argparse
import os
import secrets
import socket
import sys
import time

MAX_DATAGRAM = 65535


def schedule(first: float, cap: float, tries: int) -> list[float]:
    """The wait after each try: doubling each time, but never above *cap*."""
    return [min(first * 2**n, cap) for n in range(tries)]


def wait_for(sock: socket.socket, tag: bytes, seconds: float) -> bytes | None:
    """Return the first datagram within *seconds* that starts with *tag*."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            reply = sock.recv(MAX_DATAGRAM)
        except TimeoutError:
            break
        if reply.startswith(tag + b" "):
            return reply
        ignored = f"  ignored {len(reply)} bytes"
        print(f"{ignored}: not an answer to this request", flush=True)
    return None


def ask(
    sock: socket.socket, request: bytes, waits: list[float]
) -> bytes | None:
    """Send *request* once per wait in *waits*; return the first answer."""
    tag, size = request.split()[0], len(request)
    for number, seconds in enumerate(waits, start=1):
        print(f"try {number}: sent {size} bytes,", end=" ")
        print(f"waiting {seconds:g} s", flush=True)
        sock.send(request)
        if reply := wait_for(sock, tag, seconds):
            return reply
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("message", nargs="?", default="hello", help="what to send")
    add("--host", default="127.0.0.1", help="the server's host")
    add("--port", type=int, default=4242, help="the server's port")
    add("--timeout", type=float, default=0.5, help="the first wait")
    add("--max-wait", type=float, default=4.0, help="the longest wait")
    add("--tries", type=int, default=5, help="sends at most")
    add("--source-port", type=int, default=0, help="0: any free port")
    add("--id", help="a fixed request ID, to repeat a run (default: random)")
    args = parser.parse_args()
    if not (0 < args.port <= 65535 and 0 <= args.source_port <= 65535):
        parser.error("ports must be 1-65535 (--source-port may be 0)")
    if not 1 <= args.tries <= 100:
        parser.error("--tries must be 1-100")
    if not 0 < args.timeout <= args.max_wait <= 3600:
        parser.error("need 0 < --timeout <= --max-wait <= 3600 seconds")
    chosen = args.id
    if chosen is not None and not (chosen.isascii() and chosen.isalnum()):
        parser.error("--id must be ASCII letters and digits")
    if chosen is not None and len(chosen) > 16:  # the server echoes only 32
        parser.error("--id must be at most 16 characters")

    request_id = args.id or secrets.token_hex(4)  # 32 bits nobody can guess
    message = os.fsencode(args.message)  # the bytes as typed, in any encoding
    request = b"#%s %s" % (request_id.encode(), message)
    waits = schedule(args.timeout, args.max_wait, args.tries)
    where = f"{args.host} port {args.port}"
    try:
        family, kind, proto, _name, server = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_DGRAM
        )[0]
    except socket.gaierror as error:
        sys.exit(f"retry_client: cannot resolve {args.host}: {error.strerror}")
    except UnicodeError:  # a label over 63 characters, or not text at all
        sys.exit(f"retry_client: {args.host!r} is not a valid host name")
    # ANCHOR: connect
    with socket.socket(family, kind, proto) as sock:
        try:
            sock.bind(("", args.source_port))
            sock.connect(server)  # from now on, only this address can reach us
            reply = ask(sock, request, waits)
        except ConnectionRefusedError:
            sys.exit(f"retry_client: nothing listens at {where} (refused)")
        except OSError as error:
            reason = error.strerror
            sys.exit(f"retry_client: cannot talk to {where}: {reason}")
        except KeyboardInterrupt:
            sys.exit(f"retry_client: interrupted, no reply from {where}")
    # ANCHOR_END: connect
    if reply is None:
        tries = f"{len(waits)} {'try' if len(waits) == 1 else 'tries'}"
        waited = f"{sum(waits):g} s"
        sys.exit(
            f"retry_client: no reply from {where} after {tries} ({waited})"
        )
    answer = reply.decode("utf-8", errors="replace").split(" ", 1)[1]
    host = str(server[0])  # the address it connected to: the only one it hears
    print(f"reply from {host} port {args.port}: {answer}")


if __name__ == "__main__":
    main()
