"""A TCP server that writes back in hexadecimal whatever it reads, at once.

    python3 hexserver.py
    python3 deadlock.py --bytes 1000

A client first sends an 8-byte header, the number of bytes to follow, then
the bytes. The server answers each chunk as soon as it has read it, with two
hexadecimal digits for each byte, and closes when it has had them all. It
never waits for the whole request: that is what a client must allow for.
"""

import argparse
import socket
import struct
import sys

HEADER = struct.Struct("!Q")  # how many bytes follow: 8 bytes, unsigned
CHUNK = 65536
PORT = 1071


class ProtocolError(Exception):
    """The client stopped before it had sent what its header announced."""


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def encode(conn: socket.socket) -> int:
    """Read the header, then answer chunk by chunk; the bytes read."""
    with conn.makefile("rb") as incoming:
        header = incoming.read(HEADER.size)  # all 8 bytes, or the end
        if len(header) < HEADER.size:
            raise ProtocolError("closed before its 8-byte header was whole")
        total: int = HEADER.unpack(header)[0]
        left = total
        while left:
            chunk = incoming.read1(min(left, CHUNK))  # what has come, or b''
            if not chunk:
                raise ProtocolError(
                    f"sent {total - left:,} of {total:,} bytes"
                )
            conn.sendall(chunk.hex().encode("ascii"))  # two digits per byte
            left -= len(chunk)
    return total


def serve(listener: socket.socket, timeout: float) -> None:
    """Answer one client at a time, forever; log a line for each."""
    while True:
        conn, address = listener.accept()
        with conn:
            conn.settimeout(timeout)
            try:
                total = encode(conn)
                report = f"read {total:,} bytes, wrote {2 * total:,}"
            except ProtocolError as error:
                report = str(error)
            except TimeoutError:
                report = f"stuck for {timeout:g} s; hanging up"
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
    add("--timeout", type=float, default=10.0, help="seconds per client")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
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
            serve(listener, args.timeout)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


if __name__ == "__main__":
    main()
