"""Ask distance_server.py how far apart two places are, and print its answer.

    python3 distance_client.py 41.52 -84.31 39.96 -83

The four numbers are a latitude and a longitude, then another, in degrees
(here Archbold, Ohio, and Columbus). They go out as one 32-byte question; the
answer is 8 bytes, a distance in kilometres, and then the server closes.
"""

import argparse
import socket
import struct
import sys
import time

QUESTION, ANSWER = struct.Struct("!4d"), struct.Struct("!d")  # as the server
PORT = 1070


class ProtocolError(Exception):
    """The server closed too early, or said more than its answer."""


def ask(sock: socket.socket, question: bytes, slowly: bool) -> float:
    """Send *question* (slowly: 8 bytes at a time); return the answer."""
    step = 8 if slowly else len(question)
    for start in range(0, len(question), step):
        if start:  # 0.5 s apart: time for the server to read each piece
            time.sleep(0.5)
        sock.sendall(question[start : start + step])
    # A file object's read(n) does the gathering loop: it returns n bytes,
    # or fewer only at the end of the stream.
    with sock.makefile("rb") as incoming:
        answer = incoming.read(ANSWER.size)
        if len(answer) < ANSWER.size:
            raise ProtocolError(f"closed after {len(answer)} of 8 bytes")
        if incoming.read(1):  # b'' here: the server has closed, as it should
            raise ProtocolError("sent more than one answer")
    return float(ANSWER.unpack(answer)[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("places", nargs=4, type=float, metavar="DEGREES", help="two places")
    add("--host", default="127.0.0.1", help="the server's address or name")
    add("--port", type=int, default=PORT, help="the server's port")
    add("--timeout", type=float, default=5.0, help="seconds to wait")
    add("--slowly", action="store_true", help="send 8 bytes every 0.5 s")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be more than 0 and at most 3600 seconds")
    lat1, lon1, lat2, lon2 = args.places
    if not all(-90 <= lat <= 90 for lat in (lat1, lat2)):  # NaN fails too
        parser.error("a latitude must be from -90 to 90 degrees")
    if not all(-180 <= lon <= 180 for lon in (lon1, lon2)):
        parser.error("a longitude must be from -180 to 180 degrees")
    question = QUESTION.pack(*args.places)
    name, host, port = "distance_client.py", args.host, args.port
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        with socket.create_connection((host, port), args.timeout) as sock:
            if args.slowly:  # each piece goes at once, in a segment of its own
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            km = ask(sock, question, args.slowly)
    except socket.gaierror as error:
        sys.exit(f"{name}: cannot resolve {args.host}: {error.strerror}")
    except UnicodeError:  # from IDNA: a label of over 63 characters, say
        sys.exit(f"{name}: {args.host} is not a valid host name")
    except ConnectionRefusedError:
        sys.exit(f"{name}: {target} refused the connection")
    except TimeoutError:
        sys.exit(f"{name}: no answer from {target} within {args.timeout:g} s")
    except ConnectionResetError:
        sys.exit(f"{name}: {target} reset the connection")
    except ProtocolError as error:
        sys.exit(f"{name}: {target} {error}")
    except OSError as error:
        sys.exit(f"{name}: talking to {target} failed: {error.strerror}")
    places = " ".join(f"{number:g}" for number in args.places)
    print(f"asked in {len(question)} bytes: {places}")
    print(f"answered in {ANSWER.size} bytes: {km:,.1f} km")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C, whenever it comes
        sys.exit("distance_client.py: interrupted")
