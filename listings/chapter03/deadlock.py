"""Send a lot to hexserver.py before reading its answer: stall, or don't.

    python3 hexserver.py
    python3 deadlock.py --bytes 1000
    python3 deadlock.py --bytes 50000000            # stalls, and gives up
    python3 deadlock.py --bytes 50000000 --threads  # goes through

The server answers each chunk as soon as it has read it, with twice as many
bytes. Sending everything before reading anything works while the answer
fits in the connection's buffers; beyond that, both programs end up waiting
in send() for the other to read. With --threads, a second thread sends
while this one reads, and there is no stall, however much is sent. Either
way --timeout bounds each wait for the other side, not the whole exchange.
"""

import argparse
import socket
import struct
import sys
from concurrent.futures import ThreadPoolExecutor

HEADER = struct.Struct("!Q")  # as in hexserver.py
CHUNK = 65536
PORT = 1071
MOST = 100_000_000  # bytes: the data is made in memory


class Stalled(Exception):
    """Nothing moved for a whole timeout."""


def read_answer(sock: socket.socket) -> tuple[int, bytes]:
    """Read until the server closes: how many bytes came, and the first 16."""
    count, start = 0, b""
    while chunk := sock.recv(CHUNK):
        start += chunk[: 16 - len(start)]
        count += len(chunk)
    return count, start


def send_request(sock: socket.socket, data: bytes) -> None:
    """The header, then the data, one send() at a time, so that the timeout
    bounds each wait for room in the buffers, not the whole request."""
    request = memoryview(HEADER.pack(len(data)) + data)
    sent = 0
    while sent < len(request):
        try:
            sent += sock.send(request[sent : sent + CHUNK])  # may send less
        except TimeoutError:
            done = max(sent - HEADER.size, 0)  # of the data, after the header
            raise Stalled(f"sent {done:,} of {len(data):,} bytes") from None


def send_then_read(sock: socket.socket, data: bytes) -> tuple[int, bytes]:
    """All the writing first, then all the reading: stalls once the answer
    outgrows the buffers between the two programs."""
    send_request(sock, data)
    return read_answer(sock)


def send_while_reading(sock: socket.socket, data: bytes) -> tuple[int, bytes]:
    """Send from a second thread while this one reads: no stall."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        sending = pool.submit(send_request, sock, data)
        answer = read_answer(sock)
        sending.result()  # raises here whatever the sending thread raised
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--bytes", type=int, default=1000, help="how many to send")
    add("--threads", action="store_true", help="send and read at once")
    add("--host", default="127.0.0.1", help="the server's address or name")
    add("--port", type=int, default=PORT, help="the server's port")
    add("--timeout", type=float, default=2.0, help="seconds without progress")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
    if not 0 <= args.bytes <= MOST:
        parser.error(f"--bytes must be from 0 to {MOST:,}")
    data = (bytes(range(256)) * (args.bytes // 256 + 1))[: args.bytes]
    name, host, port, wait = "deadlock.py", args.host, args.port, args.timeout
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    talk = send_while_reading if args.threads else send_then_read
    try:
        with socket.create_connection((host, port), wait) as sock:
            count, start = talk(sock, data)
    except socket.gaierror as error:
        sys.exit(f"{name}: cannot resolve {host}: {error.strerror}")
    except UnicodeError:  # from IDNA: a label of over 63 characters, say
        sys.exit(f"{name}: {host} is not a valid host name")
    except ConnectionRefusedError:
        sys.exit(f"{name}: {target} refused the connection")
    except Stalled as error:
        sys.exit(
            f"{name}: stalled: {error}, then nothing moved for {wait:g} s"
        )
    except TimeoutError:
        sys.exit(f"{name}: nothing moved for {wait:g} s")
    except ConnectionResetError:
        sys.exit(f"{name}: {target} reset the connection")
    except OSError as error:
        sys.exit(f"{name}: talking to {target} failed: {error.strerror}")
    if count != 2 * len(data):
        sys.exit(
            f"{name}: {target} sent {count:,} bytes, not {2 * len(data):,}"
        )
    digits = f": {start.decode('ascii', 'replace')}..." if start else ""
    print(f"sent {len(data):,} bytes, got back {count:,}{digits}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C, whenever it comes
        sys.exit("deadlock.py: interrupted")
