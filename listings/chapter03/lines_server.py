"""A TCP server that reads lines, through makefile(), and answers each one.

    python3 lines_server.py
    python3 lines_client.py "first line" "second line" "third"

It reads line by line however the bytes arrived, answers each line with its
number and the line in capitals, and closes when the client has half-closed.
A line longer than 1,000 bytes, or more than --most lines, or a conversation
longer than --timeout seconds, ends the conversation.
"""

import argparse
import contextlib
import io
import socket
import sys
import time
from typing import Any, NoReturn

PORT = 1073
LIMIT = 1000  # the longest line the server accepts, newline included
MOST = 1000  # the most lines one client may send


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


def refuse(conn: socket.socket, error: str) -> NoReturn:
    """Tell the client why the server hangs up; raise ValueError to log it."""
    conn.sendall(f"error: {error}\n".encode("ascii"))
    # Closing with the client's bytes unread would send an RST, which can
    # overtake the error line: half-close, and read what is on its way for
    # up to a second first.
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(1.0)
    end = time.monotonic() + 1.0
    with contextlib.suppress(OSError):  # a timeout or a reset: done
        while time.monotonic() < end and conn.recv(65536):
            pass
    raise ValueError(error)


def answer_lines(conn: socket.socket, seconds: float, most: int) -> int:
    """Answer each line the client sends until it closes; return how many."""
    count, clock = 0, Deadline(conn, seconds)
    with io.BufferedReader(clock) as incoming:  # as conn.makefile("rb")
        # readline() returns b'' at the end of the stream
        while line := incoming.readline(LIMIT + 1):
            count += 1
            conn.settimeout(clock.left())  # sendall() too, by the deadline
            if len(line) > LIMIT:
                refuse(conn, f"line {count} is longer than {LIMIT} bytes")
            if count > most:
                refuse(conn, f"more than {most} lines")
            conn.sendall(b"%d %s" % (count, line.upper()))
    return count


def serve(listener: socket.socket, timeout: float, most: int) -> None:
    """Answer one client at a time, forever; log a line for each."""
    while True:
        conn, address = listener.accept()
        with conn:
            try:
                count = answer_lines(conn, timeout, most)
            except TimeoutError:
                report = f"not done in {timeout:g} s; hanging up"
            except ValueError as error:
                report = str(error)
            except OSError as error:
                report = error.strerror or str(error)
            else:
                report = f"answered {count} line{'s' * (count != 1)}"
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
    add("--most", type=int, default=MOST, help="most lines per client")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
    if args.most < 0:
        parser.error("--most must not be negative")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        listener = socket.create_server((args.host, args.port), family=family)
    except OSError as error:
        # create_server() adds "(while attempting to bind ...)": drop it
        reason = str(error.strerror).partition(" (while")[0]
        target = where((args.host, args.port))
        sys.exit(f"lines_server.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            print(f"listening at {where(listener.getsockname())}", flush=True)
            serve(listener, args.timeout, args.most)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


if __name__ == "__main__":
    main()
