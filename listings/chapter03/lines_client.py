"""Send lines to lines_server.py, half-close, and print its answers.

    python3 lines_client.py "first line" "second line" "third"

The client writes all its lines at once, then shuts down its sending
direction, so that the server sees the end of them, and reads the answers
line by line, through a file object that makefile() wraps around the socket.
A line the server would refuse is not sent, and an answer that begins with
"error:" (the server's refusal) ends the run with an error.
"""

import argparse
import socket
import sys

PORT = 1073
LIMIT = 1000  # lines_server.py's longest line, in bytes, newline included


def encode(line: str) -> bytes:
    """A line as it goes on the wire: UTF-8, with its newline."""
    # surrogateescape: bytes of the command line that are not UTF-8 go as typed
    return f"{line}\n".encode("utf-8", errors="surrogateescape")


def converse(sock: socket.socket, lines: list[str]) -> list[str]:
    """Send every line, half-close, and return the server's answer lines."""
    sock.sendall(b"".join(encode(line) for line in lines))
    sock.shutdown(socket.SHUT_WR)
    with sock.makefile("r", encoding="utf-8", errors="replace") as answers:
        return [answer.rstrip("\n") for answer in answers]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add(
        "lines",
        nargs="*",
        default=["Hello, server", "Goodbye"],
        help="to send",
    )
    add("--host", default="127.0.0.1", help="the server's address or name")
    add("--port", type=int, default=PORT, help="the server's port")
    add("--timeout", type=float, default=5.0, help="seconds to wait")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
    if any("\n" in line for line in args.lines):
        parser.error("a line cannot contain a newline")
    for number, line in enumerate(args.lines, 1):
        if len(encode(line)) > LIMIT:
            parser.error(
                f"line {number} is over the server's limit of {LIMIT:,} bytes"
            )
    name, host, port = "lines_client.py", args.host, args.port
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        with socket.create_connection((host, port), args.timeout) as sock:
            answers = converse(sock, args.lines)
    except socket.gaierror as error:
        sys.exit(f"{name}: cannot resolve {host}: {error.strerror}")
    except UnicodeError:  # from IDNA: a label of over 63 characters, say
        sys.exit(f"{name}: {host} is not a valid host name")
    except ConnectionRefusedError:
        sys.exit(f"{name}: {target} refused the connection")
    except TimeoutError:
        sys.exit(f"{name}: no answer from {target} within {args.timeout:g} s")
    except ConnectionResetError:
        sys.exit(f"{name}: {target} reset the connection")
    except OSError as error:
        sys.exit(f"{name}: talking to {target} failed: {error.strerror}")
    for answer in answers:
        why = answer.removeprefix("error: ")
        if why != answer:  # the server refused the rest, and hung up
            sys.exit(f"{name}: {target} said: {why}")
        print(answer)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C, whenever it comes
        sys.exit("lines_client.py: interrupted")
