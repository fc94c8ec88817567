"""Open connections to fourtuple_server.py and show each from both ends.

    python3 fourtuple_client.py --connections 3
    python3 fourtuple_client.py --hold 60    # then look with: ss -tn

For each connection, the row "here" is the four-tuple as this client sees
it, and "there" as the server does, from the line the server sends. Behind
NAT the two differ; on one machine they agree, and only the client's port
tells the connections apart.
"""

import argparse
import socket
import sys
import time
from contextlib import ExitStack

PORT = 1072
LIMIT = 200  # more than a line of the server's ever needs
ROW = "{:7}{:27}{}"  # a label, then the client's address, the server's


class NoLine(Exception):
    """The server closed the connection without sending its line."""


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connect_all(
    stack: ExitStack, args: argparse.Namespace
) -> list[socket.socket]:
    """Open several connections to the server at once, all kept open."""
    address = (args.host, args.port)
    return [
        stack.enter_context(socket.create_connection(address, args.timeout))
        for _ in range(args.connections)
    ]


def server_view(sock: socket.socket) -> tuple[str, str]:
    """The server's line, split in two: all it sends before it closes."""
    line = b""
    while len(line) < LIMIT and (piece := sock.recv(LIMIT - len(line))):
        line += piece
    if not line:
        raise NoLine("closed without a line")
    text = line.decode("ascii", errors="replace")
    client, _space, server = text.partition(" ")
    return client, server.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--connections", type=int, default=1, help="how many, at once")
    add("--host", default="127.0.0.1", help="the server's address or name")
    add("--port", type=int, default=PORT, help="the server's port")
    add("--timeout", type=float, default=5.0, help="seconds to wait")
    add("--hold", type=float, default=0.0, help="seconds to keep them open")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 1 <= args.connections <= 16:
        parser.error("--connections must be from 1 to 16")
    if not (0 < args.timeout <= 3600 and 0 <= args.hold <= 3600):
        parser.error("--timeout and --hold must be from 0 to 3600 seconds")
    name, target = "fourtuple_client.py", where((args.host, args.port))
    try:
        with ExitStack() as stack:
            socks = connect_all(stack, args)
            print(ROW.format("", "client", "server"))
            for sock in socks:
                mine = where(sock.getsockname()), where(sock.getpeername())
                theirs = server_view(sock)
                print(ROW.format("here", *mine))
                print(ROW.format("there", *theirs), flush=True)
            time.sleep(args.hold)  # time to look at them with ss
    except KeyboardInterrupt:  # Ctrl-C ends the run, or the wait, early
        pass
    except NoLine as error:
        sys.exit(f"{name}: {target} {error}")
    except socket.gaierror as error:
        sys.exit(f"{name}: cannot resolve {args.host}: {error.strerror}")
    except UnicodeError:  # from IDNA: a label of over 63 characters, say
        sys.exit(f"{name}: {args.host} is not a valid host name")
    except ConnectionRefusedError:
        sys.exit(f"{name}: {target} refused the connection")
    except TimeoutError:
        sys.exit(f"{name}: no answer from {target} within {args.timeout:g} s")
    except OSError as error:
        sys.exit(f"{name}: talking to {target} failed: {error.strerror}")


if __name__ == "__main__":
    main()
