"""A small TCP server for the harness's tests (not a listing): echoes one
read from each client, in capitals, and prints its size; stops quietly on Ctrl-C."""

from __future__ import annotations

import argparse
import socket


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with socket.create_server(("127.0.0.1", args.port)) as listener:
        try:
            while True:
                conn, _ = listener.accept()
                with conn:
                    data = conn.recv(4096)
                    print(f"{len(data)} bytes", flush=True)
                    conn.sendall(data.upper())
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
