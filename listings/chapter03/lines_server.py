"""A TCP server that reads lines, through makefile(), and answers each one.

    python3 lines_server.py
    python3 lines_client.py "first line" "second line" "third"

It reads line by line however the bytes arrived, answers each line with its
number and the line in capitals, and closes when the client has half-closed.
A line longer than 1,000 bytes ends the conversation.
"""

import argparse
import socket
import sys

PORT = 1073
LIMIT = 1000  # the longest line the server accepts, newline included


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def answer_lines(conn: socket.socket) -> int:
    """Answer each line the client sends until it closes; return how many."""
    count = 0
    with conn.makefile("rb") as incoming, conn.makefile("wb") as outgoing:
        # readline() returns b'' at the end of the stream
        while line := incoming.readline(LIMIT + 1):
            count += 1
            if len(line) > LIMIT:
                outgoing.write(b"error: line %d is too long\n" % count)
                raise ValueError(f"line {count} is longer than {LIMIT} bytes")
            outgoing.write(b"%d %s" % (count, line.upper()))
            outgoing.flush()  # the buffer holds it until we flush
    return count


def serve(listener: socket.socket, timeout: float) -> None:
    """Answer one client at a time, forever; log a line for each."""
    while True:
        conn, address = listener.accept()
        with conn:
            conn.settimeout(timeout)
            try:
                count = answer_lines(conn)
            except TimeoutError:
                print(
                    f"{where(address)}: silent for {timeout:g} s", flush=True
                )
            except ValueError as error:
                print(f"{where(address)}: {error}", flush=True)
            except OSError as error:
                print(
                    f"{where(address)}: {error.strerror or error}", flush=True
                )
            else:
                lines = f"{count} line{'s' * (count != 1)}"
                print(f"{where(address)}: answered {lines}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="the address to listen at")
    add("--port", type=int, default=PORT, help="the port to listen at")
    add("--timeout", type=float, default=5.0, help="seconds per client")
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
        sys.exit(f"lines_server.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            print(f"listening at {where(listener.getsockname())}", flush=True)
            serve(listener, args.timeout)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


if __name__ == "__main__":
    main()
