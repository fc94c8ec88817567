"""A TCP server that says how far apart two places are, in fixed-size messages.

    python3 distance_server.py
    python3 distance_client.py 41.52 -84.31 39.96 -83

A question is 32 bytes, four numbers packed by struct: the latitude and
longitude of one place, then of another, in degrees. An answer is 8 bytes,
the distance in kilometres. Both sizes are fixed: each side reads until it
has a whole message, and needs no mark where one ends. A client has
--timeout seconds for the whole exchange.
"""

import argparse
import math
import socket
import struct
import sys
import time

QUESTION, ANSWER = struct.Struct("!4d"), struct.Struct("!d")  # 8-byte floats
PORT = 1070


class ProtocolError(Exception):
    """The client broke off in the middle of a question."""


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def read_exactly(
    sock: socket.socket, size: int, deadline: float
) -> tuple[bytes, int]:
    """Fill a buffer of *size* bytes from *sock*: the bytes, and the reads."""
    buffer = bytearray(size)
    empty, calls = memoryview(buffer), 0  # the part still to be filled
    while empty:
        if (left := deadline - time.monotonic()) <= 0:
            raise TimeoutError("out of time")
        sock.settimeout(left)  # each receive waits only for the time left
        count = sock.recv_into(empty)  # what has arrived, up to len(empty)
        if count == 0:  # the client has closed its direction
            got = size - len(empty)
            raise ProtocolError(f"closed after {got} of {size} bytes")
        empty, calls = empty[count:], calls + 1
    return bytes(buffer), calls


def kilometres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance, on a sphere of the Earth's mean radius."""
    if not (abs(lat1) <= 90 and abs(lat2) <= 90):  # False for NaN too
        raise ValueError("no such latitude")
    if not (abs(lon1) <= 180 and abs(lon2) <= 180):
        raise ValueError("no such longitude")
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2
    h += math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def listen(host: str, port: int, reuse: bool) -> socket.socket:
    """A passive socket: bound to (host, port) and listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    if reuse:  # bind even while old connections to this port are in TIME_WAIT
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen()
    except OSError:
        listener.close()
        raise
    return listener


def serve(listener: socket.socket, timeout: float) -> None:
    """Answer one connection at a time, forever; log a line for each."""
    while True:
        conn, address = listener.accept()  # a new, active socket
        with conn:  # closing it sends the server's FIN
            deadline = time.monotonic() + timeout  # for the whole exchange
            try:
                question, calls = read_exactly(conn, QUESTION.size, deadline)
                km = kilometres(*QUESTION.unpack(question))
                conn.sendall(ANSWER.pack(km))
                pieces = f"{calls} piece{'s' * (calls != 1)}"
                report = f"{km:,.1f} km; the question came in {pieces}"
            except ProtocolError as error:
                report = str(error)
            except ValueError:  # a latitude of 91, or NaN, say
                report = "not two places"
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
    add("--timeout", type=float, default=5.0, help="seconds a client has")
    add("--no-reuse", action="store_true", help="bind without SO_REUSEADDR")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
    try:
        listener = listen(args.host, args.port, not args.no_reuse)
    except OSError as error:
        target, reason = where((args.host, args.port)), error.strerror
        sys.exit(f"distance_server.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            print(f"listening at {where(listener.getsockname())}", flush=True)
            serve(listener, args.timeout)
        except KeyboardInterrupt:  # Ctrl-C: the way to stop a server
            print("server stopped", flush=True)


if __name__ == "__main__":
    main()
