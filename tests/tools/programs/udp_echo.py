"""A small UDP server for the harness's tests (not a listing).

Prints ``listening on HOST port PORT`` when bound, a line per datagram, and
``stopped`` on Ctrl-C (status 0). ``--pidfile FILE`` writes its process id
there; ``--stubborn N`` ignores the first N of SIGINT and SIGTERM; ``--delay
S`` waits S seconds before binding (a slow start).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pidfile", default="")
    parser.add_argument("--stubborn", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    ignored = {"count": 0}

    def ignore(signum: int, frame: object) -> None:
        ignored["count"] += 1
        print(f"ignoring {signal.Signals(signum).name}", flush=True)
        if ignored["count"] >= args.stubborn:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    if args.stubborn:
        signal.signal(signal.SIGINT, ignore)
        signal.signal(signal.SIGTERM, ignore)
    if args.pidfile:
        with open(args.pidfile, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
    print("starting", flush=True)
    time.sleep(args.delay)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", args.port))
        print(f"listening on 0.0.0.0 port {sock.getsockname()[1]}", flush=True)
        try:
            while True:
                data, sender = sock.recvfrom(65535)
                print(
                    f"{data.decode()!r} from {sender[0]} port {sender[1]}", flush=True
                )
                sock.sendto(data.upper(), sender)
        except KeyboardInterrupt:
            print("stopped")
    sys.exit(0)


if __name__ == "__main__":
    main()
