"""Send a lot of data to a server that answers as it reads: stall, or don't.

    python3 deadlock.py server
    python3 deadlock.py client --bytes 1000
    python3 deadlock.py client --bytes 50000000            # stalls, gives up
    python3 deadlock.py client --bytes 50000000 --threads  # never stalls

The server sends back every chunk it reads, in capitals, at once. The client
sends all its data, then half-closes the connection (so the server knows the
data is complete), then reads the answer. With little data that works; with
more than the connection's buffers hold, both sides end up blocked in a
send() that cannot finish, because neither is reading. With --threads the
client reads while a second thread sends, and any amount goes through.
"""

import argparse
import socket
import sys
from concurrent.futures import ThreadPoolExecutor

PORT = 1071
CHUNK = 65536


class Stalled(Exception):
    """Nothing moved for a whole timeout."""


def where(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    """'host:port', with an IPv6 address in brackets."""
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def echo(conn: socket.socket) -> int:
    """Send back each chunk as soon as it is read; return the bytes echoed."""
    echoed = 0
    while chunk := conn.recv(CHUNK):  # until the client half-closes
        conn.sendall(chunk.upper())
        echoed += len(chunk)
    return echoed


def serve(listener: socket.socket, timeout: float) -> None:
    print(f"listening at {where(listener.getsockname())}", flush=True)
    while True:
        conn, address = listener.accept()
        with conn:
            conn.settimeout(timeout)
            try:
                echoed = echo(conn)
            except TimeoutError:
                print(f"{where(address)}: stuck for {timeout:g} s; hanging up")
            except OSError as error:
                print(f"{where(address)}: {error.strerror or error}")
            else:
                print(f"{where(address)}: echoed {echoed:,} bytes")
            sys.stdout.flush()


def receive_all(sock: socket.socket) -> int:
    """Read until the server closes its side; return how many bytes came."""
    received = 0
    while chunk := sock.recv(CHUNK):
        received += len(chunk)
    return received


def send_then_receive(sock: socket.socket, data: bytes) -> int:
    """Send everything, half-close, then read: stalls once buffers fill."""
    sent = 0
    while sent < len(data):
        try:
            sent += sock.send(data[sent : sent + CHUNK])  # may send only part
        except TimeoutError:
            raise Stalled(f"sent {sent:,} of {len(data):,} bytes") from None
    # FIN: no more data from us, but we can still read
    sock.shutdown(socket.SHUT_WR)
    return receive_all(sock)


def send_while_receiving(sock: socket.socket, data: bytes) -> int:
    """Send from a second thread while this one reads: never stalls."""

    def send_and_half_close() -> None:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)

    with ThreadPoolExecutor(max_workers=1) as pool:
        sending = pool.submit(send_and_half_close)
        received = receive_all(sock)
        sending.result()  # raises here whatever the sending thread raised
    return received


def client(args: argparse.Namespace) -> None:
    target, timeout = where((args.host, args.port)), args.timeout
    data = b"x" * args.bytes
    try:
        with socket.create_connection((args.host, args.port), timeout) as sock:
            if args.threads:
                received = send_while_receiving(sock, data)
            else:
                received = send_then_receive(sock, data)
    except socket.gaierror as error:
        sys.exit(f"deadlock.py: cannot resolve {args.host}: {error.strerror}")
    except ConnectionRefusedError:
        sys.exit(f"deadlock.py: {target} refused the connection")
    except Stalled as error:
        quiet = f"then nothing moved for {timeout:g} s"
        sys.exit(f"deadlock.py: stalled: {error}, {quiet}")
    except TimeoutError:
        sys.exit(f"deadlock.py: nothing moved for {timeout:g} s")
    except ConnectionResetError:
        sys.exit(f"deadlock.py: {target} reset the connection")
    except OSError as error:
        sys.exit(f"deadlock.py: talking to {target} failed: {error.strerror}")
    print(f"sent {len(data):,} bytes and received {received:,}")


def server(args: argparse.Namespace) -> None:
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        listener = socket.create_server((args.host, args.port), family=family)
    except OSError as error:
        # create_server() adds "(while attempting to bind ...)": drop it
        reason = str(error.strerror).partition(" (while")[0]
        target = where((args.host, args.port))
        sys.exit(f"deadlock.py: cannot listen at {target}: {reason}")
    with listener:
        try:
            serve(listener, args.timeout)
        except KeyboardInterrupt:
            print("server stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser(
        "server", help="echo in capitals until Ctrl-C"
    )
    send_cmd = commands.add_parser("client", help="send data, read it back")
    send_cmd.add_argument(
        "--bytes",
        type=int,
        default=1000,
        help="how much (default: %(default)s)",
    )
    send_cmd.add_argument(
        "--threads",
        action="store_true",
        help="send and receive at the same time",
    )
    for sub, wait in ((serve_cmd, 10.0), (send_cmd, 2.0)):
        sub.add_argument(
            "--host", default="127.0.0.1", help="default: %(default)s"
        )
        sub.add_argument(
            "--port", type=int, default=PORT, help="default: %(default)s"
        )
        sub.add_argument(
            "--timeout",
            type=float,
            default=wait,
            help="seconds (default: %(default)s)",
        )
    args = parser.parse_args()
    if args.command == "server":
        server(args)
    elif args.bytes < 0:
        parser.error("--bytes cannot be negative")
    else:
        client(args)


if __name__ == "__main__":
    main()
