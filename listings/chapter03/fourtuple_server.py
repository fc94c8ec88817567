"""A TCP server that tells each client the four-tuple of its connection.

    python3 fourtuple_server.py
    python3 fourtuple_client.py --connections 3

For each connection it accepts, it writes one line, the client's address and
port and then its own, as it sees them, and closes. Given --host ::, IPv6's
wildcard address, it accepts IPv4 clients as well.
"""

import argparse
import socket
import sys

PORT = 1072


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="the address to listen at")
    add("--port", type=int, default=PORT, help="the port to listen at")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    dual = args.host == "::"  # IPv4 too, its clients seen as ::ffff:a.b.c.d
    try:
        listener = socket.create_server(
            (args.host, args.port), family=family, dualstack_ipv6=dual
        )
    except OSError as error:
        # create_server() adds "(while attempting to bind ...)": drop it
        reason = str(error.strerror).partition(" (while")[0]
        target = where((args.host, args.port))
        sys.exit(f"fourtuple_server.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            serve(listener)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


if __name__ == "__main__":
    main()
