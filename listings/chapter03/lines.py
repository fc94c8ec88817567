"""Talk in lines over TCP, reading the socket as a file with makefile().

    python3 lines.py server
    python3 lines.py client "first line" "second line" "third"

The client writes all its lines at once, half-closes, and reads the
server's answers line by line. The server reads line by line too, however
the bytes arrived, and answers each line with its number and the line in
capitals. A line longer than 1,000 bytes ends the conversation.
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
    print(f"listening at {where(listener.getsockname())}", flush=True)
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


def converse(sock: socket.socket, lines: list[str]) -> list[str]:
    """Send every line, half-close, and return the server's answer lines."""
    sock.sendall("".join(f"{line}\n" for line in lines).encode("utf-8"))
    sock.shutdown(socket.SHUT_WR)
    with sock.makefile("r", encoding="utf-8", errors="replace") as answers:
        return [answer.rstrip("\n") for answer in answers]


def client(args: argparse.Namespace) -> None:
    target, timeout = where((args.host, args.port)), args.timeout
    try:
        with socket.create_connection((args.host, args.port), timeout) as sock:
            answers = converse(sock, args.lines)
    except socket.gaierror as error:
        sys.exit(f"lines.py: cannot resolve {args.host}: {error.strerror}")
    except ConnectionRefusedError:
        sys.exit(f"lines.py: {target} refused the connection")
    except TimeoutError:
        sys.exit(f"lines.py: no answer from {target} within {timeout:g} s")
    except ConnectionResetError:
        sys.exit(f"lines.py: {target} reset the connection")
    except OSError as error:
        sys.exit(f"lines.py: talking to {target} failed: {error.strerror}")
    for answer in answers:
        print(answer)


def server(args: argparse.Namespace) -> None:
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        listener = socket.create_server((args.host, args.port), family=family)
    except OSError as error:
        # create_server() adds "(while attempting to bind ...)": drop it
        reason = str(error.strerror).partition(" (while")[0]
        target = where((args.host, args.port))
        sys.exit(f"lines.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            serve(listener, args.timeout)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("server", help="answer lines until Ctrl-C")
    send_cmd = commands.add_parser(
        "client", help="send lines, print the answers"
    )
    send_cmd.add_argument(
        "lines", nargs="*", default=["Hello, server", "Goodbye"]
    )
    for sub in (serve_cmd, send_cmd):
        sub.add_argument(
            "--host", default="127.0.0.1", help="default: %(default)s"
        )
        sub.add_argument(
            "--port", type=int, default=PORT, help="default: %(default)s"
        )
        sub.add_argument(
            "--timeout",
            type=float,
            default=5.0,
            help="seconds (default: %(default)s)",
        )
    args = parser.parse_args()
    if args.command == "server":
        server(args)
    elif any("\n" in line for line in args.lines):
        parser.error("a line cannot contain a newline")
    else:
        client(args)


if __name__ == "__main__":
    main()
