"""The playground's command line.

``python -m playground``
    serve the geocoder over HTTP and HTTPS until Ctrl-C or SIGTERM;
``python -m playground run -- COMMAND ...``
    start the services on free ports, run COMMAND with ``GEOCODER_URL``,
    ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` set, stop, and exit with
    COMMAND's status.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path

from playground.services import Playground


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m playground",
        description="Local stand-ins for the internet services the book's listings use.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--state", type=Path, help="folder for the CA and certificates (default: build/playground)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve until Ctrl-C (the default)")
    run = sub.add_parser("run", help="run COMMAND against fresh services, then stop")
    for p in (parser, serve):
        p.add_argument("--port", type=int, default=8080, help="HTTP port, 0 for any free one (default: %(default)s)")
        p.add_argument("--tls-port", type=int, default=8443, help="HTTPS port, 0 for any free one (default: %(default)s)")
        p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="the command to run")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Playground(args.host, args.port, args.tls_port, args.state, quiet=not args.verbose) as pg:
        print(f"{pg.http_url}  geocoder over HTTP", flush=True)
        print(f"{pg.https_url}  geocoder over HTTPS (CA certificate: {pg.ca_file})", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


def run(args: argparse.Namespace) -> int:
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        print("playground run: no command given (python -m playground run -- COMMAND)", file=sys.stderr)
        return 2
    with Playground(args.host, state_dir=args.state) as pg:
        try:
            return subprocess.run(argv, env=pg.child_env()).returncode
        except OSError as exc:
            print(f"playground run: cannot run {argv[0]}: {exc.strerror}", file=sys.stderr)
            return 127
        except KeyboardInterrupt:
            return 130


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "run":
        return run(args)
    try:
        return serve(args)
    except OSError as exc:
        print(f"playground: cannot listen on {args.host}: {exc.strerror}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
