"""A TCP server that writes back in hexadecimal whatever it reads, at once.

    python3 hexserver.py
    python3 deadlock.py --bytes 1000

A client first sends an 8-byte header, the number of bytes to follow, then
the bytes. The server answers each chunk as soon as it has read it, with two
hexadecimal digits for each byte, and closes when it has had them all. It
never waits for the whole request: that is what a client must allow for.
A client gets --timeout seconds in all, and may announce --limit bytes.
"""

import argparse
import io
import socket
import struct
import sys
import time
from typing import Any

HEADER = struct.Struct("!Q")  # how many bytes follow: 8 bytes, unsigned
CHUNK = 65536
PORT = 1071
LIMIT = 100_000_000  # the most a client may announce (about 1 s of work)


class ProtocolError(Exception):
    """The client stopped before it had sent what its header announced."""


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Deadline(io.RawIOBase):
    """A socket's incoming bytes, as a file whose reads end by a deadline."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.sock, self.deadline = sock, time.monotonic() + seconds

    def left(self) -> float:
        """The seconds left; TimeoutError once there are none."""
        if (seconds := self.deadline - time.monotonic()) <= 0:
            raise TimeoutError("out of time")
        return seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # Any: a writable buffer
        self.sock.settimeout(self.left())  # each receive waits what is left
        return self.sock.recv_into(buffer)


def encode(conn: socket.socket, seconds: float, limit: int) -> int:
    """Read the header, then answer chunk by chunk; the bytes read."""
    clock = Deadline(conn, seconds)
    with io.BufferedReader(clock) as incoming:  # as conn.makefile("rb")
        header = incoming.read(HEADER.size)  # all 8 bytes, or the end
        if len(header) < HEADER.size:
            raise ProtocolError("closed before its 8-byte header was whole")
        total: int = HEADER.unpack(header)[0]
        if total > limit:
            raise ProtocolError(f"announced {total:,} bytes: over {limit:,}")
        left = total
        while left:
            chunk = incoming.read1(min(left, CHUNK))  # what has come, or b''
            if not chunk:
                raise ProtocolError(
                    f"sent {total - left:,} of {total:,} bytes"
                )
            conn.settimeout(clock.left())  # sendall() too, by the deadline
            conn.sendall(chunk.hex().encode("ascii"))  # two digits per byte
            left -= len(chunk)
    return total


def serve(listener: socket.socket, timeout: float, limit: int) -> None:
    """Answer one client at a time, forever; log a line for each."""
    while True:
        conn, address = listener.accept()
        with conn:
            try:
                total = encode(conn, timeout, limit)
                report = f"read {total:,} bytes, wrote {2 * total:,}"
            except ProtocolError as error:
                report = str(error)
            except TimeoutError:
                report = f"not done in {timeout:g} s; hanging up"
            except OSError as error:
                report = error.strerror or str(error)
            print(f"{where(address)}: {report}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="the address to listen at")
    add("--port", type=int, default=PORT, help="the port to listen at")
    add("--timeout", type=float, default=10.0, help="seconds a client has")
    add("--limit", type=int, default=LIMIT, help="most bytes per client")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
    if args.limit < 0:
        parser.error("--limit must not be negative")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        listener = socket.create_server((args.host, args.port), family=family)
    except OSError as error:
        # create_server() adds "(while attempting to bind ...)": drop it
        reason = str(error.strerror).partition(" (while")[0]
        target = where((args.host, args.port))
        sys.exit(f"hexserver.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            print(f"listening at {where(listener.getsockname())}", flush=True)
            serve(listener, args.timeout, args.limit)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


if __name__ == "__main__":
    main()
