"""Show the four addresses that name each TCP connection, from both ends.

    python3 fourtuple.py server
    python3 fourtuple.py client --connections 3
    python3 fourtuple.py client --hold 60    # then look with: ss -tn

The server tells each client what it sees: the client's address and port,
then its own. The client prints that beside its own view. Behind NAT the two
views differ; on one machine they agree, and only the client's port tells
the connections apart.
"""

import argparse
import socket
import sys
import time
from contextlib import ExitStack

PORT = 1072
LIMIT = 200  # more than a line of the server's ever needs


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(listener: socket.socket) -> None:
    """Tell each client its connection's four-tuple as the server sees it."""
    print(f"listening at {where(listener.getsockname())}", flush=True)
    while True:
        conn, address = listener.accept()
        with conn:
            try:
                peer, me = where(conn.getpeername()), where(conn.getsockname())
                seen = f"{peer} {me}"
                conn.sendall(f"{seen}\n".encode("ascii"))
            except OSError as error:  # the client has gone already
                print(f"{where(address)}: {error.strerror}", flush=True)
            else:
                print(f"connection {seen}", flush=True)


def connect_all(
    stack: ExitStack, host: str, port: int, count: int, timeout: float
) -> list[socket.socket]:
    """Open *count* connections to the server at once, all kept open."""
    return [
        stack.enter_context(socket.create_connection((host, port), timeout))
        for _ in range(count)
    ]


def server_view(sock: socket.socket) -> tuple[str, str]:
    """The server's line, split in two: all it sends before it closes."""
    line = b""
    while len(line) < LIMIT and (piece := sock.recv(LIMIT - len(line))):
        line += piece
    text = line.decode("ascii", errors="replace")
    client, _space, server = text.partition(" ")
    return client, server.strip()


def row(label: str, client: str, server: str) -> str:
    return f"{label:7}{client:24}{server}"


def client(args: argparse.Namespace) -> None:
    target, timeout = where((args.host, args.port)), args.timeout
    try:
        with ExitStack() as stack:
            socks = connect_all(
                stack, args.host, args.port, args.connections, timeout
            )
            print(row("", "client", "server"))
            for sock in socks:
                mine = where(sock.getsockname()), where(sock.getpeername())
                print(row("here", *mine))
                print(row("there", *server_view(sock)), flush=True)
            time.sleep(args.hold)  # time to look at them with ss
    except KeyboardInterrupt:  # Ctrl-C ends the run, or the wait, early
        pass
    except socket.gaierror as error:
        sys.exit(f"fourtuple.py: cannot resolve {args.host}: {error.strerror}")
    except ConnectionRefusedError:
        sys.exit(f"fourtuple.py: {target} refused the connection")
    except TimeoutError:
        sys.exit(f"fourtuple.py: no answer from {target} within {timeout:g} s")
    except OSError as error:
        sys.exit(f"fourtuple.py: talking to {target} failed: {error.strerror}")


def server(args: argparse.Namespace) -> None:
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        listener = socket.create_server(
            (args.host, args.port), backlog=16, family=family
        )
    except OSError as error:
        # create_server() adds "(while attempting to bind ...)": drop it
        reason = str(error.strerror).partition(" (while")[0]
        target = where((args.host, args.port))
        sys.exit(f"fourtuple.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            serve(listener)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser(
        "server", help="report connections until Ctrl-C"
    )
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: %(default)s"
    )
    ask_cmd = commands.add_parser("client", help="connect and compare views")
    ask_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: %(default)s"
    )
    ask_cmd.add_argument(
        "--connections", type=int, default=1, help="how many (default: 1)"
    )
    ask_cmd.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="seconds (default: %(default)s)",
    )
    ask_cmd.add_argument(
        "--hold",
        type=float,
        default=0.0,
        help="seconds to keep them open after",
    )
    for sub in (serve_cmd, ask_cmd):
        sub.add_argument(
            "--port", type=int, default=PORT, help="default: %(default)s"
        )
    args = parser.parse_args()
    if args.command == "server":
        server(args)
    elif not 1 <= args.connections <= 16:
        parser.error("--connections must be from 1 to 16")
    else:
        client(args)


if __name__ == "__main__":
    main()
