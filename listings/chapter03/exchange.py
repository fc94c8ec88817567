"""Ask a TCP server a fixed-size question and read its fixed-size answer.

Start the server in one terminal, then ask it from another:

    python3 exchange.py server
    python3 exchange.py client "Where is Archbold, Ohio?"

Every message, either way, is exactly 32 bytes, so each side knows when it
has read a whole one. The server answers with the question in capitals.
"""

import argparse
import socket
import sys
import time

SIZE = 32  # bytes in every message, question or answer
PORT = 1070


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def recv_exactly(sock: socket.socket, size: int) -> tuple[bytes, int]:
    """Read exactly *size* bytes; return them and how many recv()s it took."""
    pieces: list[bytes] = []
    received = 0
    while received < size:
        piece = sock.recv(size - received)
        if not piece:  # b'': the peer has closed its side
            raise EOFError(f"the peer closed after {received} of {size} bytes")
        pieces.append(piece)
        received += len(piece)
    return b"".join(pieces), len(pieces)


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
    """Answer one connection at a time, forever."""
    print(f"listening at {where(listener.getsockname())}", flush=True)
    while True:
        conn, address = listener.accept()  # a new, active socket
        with conn:
            conn.settimeout(timeout)
            try:
                question, calls = recv_exactly(conn, SIZE)
                conn.sendall(question.upper())
            except EOFError as error:
                print(f"{where(address)}: {error}", flush=True)
            except TimeoutError:
                print(
                    f"{where(address)}: silent for {timeout:g} s", flush=True
                )
            except OSError as error:
                print(
                    f"{where(address)}: {error.strerror or error}", flush=True
                )
            else:
                print(
                    f"{where(address)}: {question!r} in {calls} recv()",
                    flush=True,
                )


def ask(sock: socket.socket, question: bytes, pieces: int) -> bytes:
    """Send *question*, cut into *pieces* sent apart, and return the answer."""
    step = -(-len(question) // pieces)  # the size of a piece, rounded up
    for start in range(0, len(question), step):
        if start:
            time.sleep(0.1)  # so that the pieces travel in separate segments
        sock.sendall(question[start : start + step])
    answer, _calls = recv_exactly(sock, SIZE)
    if sock.recv(1):  # b'' here: the server has closed, as it should
        raise EOFError("the server sent more than one answer")
    return answer


def client(args: argparse.Namespace) -> None:
    question = args.question.encode("utf-8")
    if len(question) > SIZE:
        size = len(question)
        sys.exit(f"exchange.py: the question is {size} bytes; at most {SIZE}")
    question = question.ljust(SIZE)  # pad with spaces to exactly SIZE bytes
    target, timeout = where((args.host, args.port)), args.timeout
    try:
        sock = socket.create_connection(
            (args.host, args.port), timeout=timeout
        )
    except socket.gaierror as error:
        sys.exit(f"exchange.py: cannot resolve {args.host}: {error.strerror}")
    except ConnectionRefusedError:
        sys.exit(f"exchange.py: {target} refused the connection")
    except TimeoutError:
        sys.exit(f"exchange.py: no answer from {target} within {timeout:g} s")
    except OSError as error:
        sys.exit(f"exchange.py: cannot connect to {target}: {error.strerror}")
    with sock:
        try:
            answer = ask(sock, question, args.pieces)
        except TimeoutError:
            sys.exit(
                f"exchange.py: {target} sent no answer within {timeout:g} s"
            )
        except ConnectionResetError:
            sys.exit(f"exchange.py: {target} reset the connection")
        except EOFError as error:
            sys.exit(f"exchange.py: {target}: {error}")
        except OSError as error:
            sys.exit(
                f"exchange.py: talking to {target} failed: {error.strerror}"
            )
    print(f"asked    {question!r}")
    print(f"answered {answer!r}")


def server(args: argparse.Namespace) -> None:
    try:
        listener = listen(args.host, args.port, args.reuse)
    except OSError as error:
        target = where((args.host, args.port))
        sys.exit(f"exchange.py: cannot listen at {target}: {error.strerror}")
    with listener:
        try:
            serve(listener, args.timeout)
        except KeyboardInterrupt:  # Ctrl-C: the way to stop a server
            print("server stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser(
        "server", help="answer questions until Ctrl-C"
    )
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: %(default)s"
    )
    serve_cmd.add_argument(
        "--reuse",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="set SO_REUSEADDR before binding (default: yes)",
    )
    ask_cmd = commands.add_parser("client", help="ask one question")
    ask_cmd.add_argument(
        "question", nargs="?", default="Where is Archbold, Ohio?"
    )
    ask_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: %(default)s"
    )
    ask_cmd.add_argument(
        "--pieces",
        type=int,
        default=1,
        metavar="N",
        help="send it in N pieces",
    )
    for sub in (serve_cmd, ask_cmd):
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
    if args.command == "client" and not 1 <= args.pieces <= SIZE:
        parser.error(f"--pieces must be from 1 to {SIZE}")
    if args.command == "server":
        server(args)
    else:
        client(args)


if __name__ == "__main__":
    main()
