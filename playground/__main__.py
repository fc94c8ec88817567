"""The playground's command line.

``python -m playground``
    serve the geocoder over HTTP and HTTPS until Ctrl-C or SIGTERM;
``python -m playground run -- COMMAND ...``
    start the services on free ports, run COMMAND with ``GEOCODER_URL``,
    ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` set, stop, and exit with
    COMMAND's status (128 + N if a signal N ended it, as shells report it).

``--service NAME`` (again for more) chooses other services of the registry
(:mod:`playground.services`) than the geocoder; ``run`` tells COMMAND where
each listens in ``PLAYGROUND_<SERVICE>_<PORT>`` (``host:port``).

Problems (a port in use, an address not on this machine, a broken state
folder, a command that does not exist) are one line on stderr and a non-zero
exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

DEFAULTS = {"host": "127.0.0.1", "state": None, "port": 8080, "tls_port": 8443}


def port_number(text: str) -> int:
    """A TCP port for argparse: 0 (any free one) to 65535."""
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(text)
    return port


port_number.__name__ = "port"  # argparse says: invalid port value: '70000'


def say(line: str) -> None:
    """Print *line* at once; if no one reads our output any more (piped into
    ``head -1``, say), keep serving without it."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m playground",
        description="Local stand-ins for the services the book's listings use.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{serve,run}")
    serve = sub.add_parser("serve", help="serve until Ctrl-C (the default)")
    run = sub.add_parser("run", help="run COMMAND against fresh services, then stop")
    # The options work before or after the subcommand; given after it, they
    # win (the subcommands' own defaults are suppressed so they cannot undo
    # an option given before).
    for p in (parser, serve, run):
        default = (
            (lambda value: value) if p is parser else (lambda _: argparse.SUPPRESS)
        )
        p.add_argument(
            "--host",
            default=default(DEFAULTS["host"]),
            help="address to listen on, IPv4 or IPv6 (default: 127.0.0.1)",
        )
        p.add_argument(
            "--state",
            type=Path,
            default=default(None),
            help="folder for the CA and certificates (default: build/playground)",
        )
        p.add_argument(
            "--service",
            action="append",
            default=default(None),
            metavar="NAME",
            help="a service of the registry to start (again for more; default:"
            " geocoder; python -m playground.services -h lists them)",
        )
        p.add_argument(
            "--verbose",
            action="store_true",
            default=default(False),
            help="log each request to stderr",
        )
        if p is run:
            continue
        p.add_argument(
            "--port",
            type=port_number,
            default=default(DEFAULTS["port"]),
            help="HTTP port, 0 for any free one (default: 8080)",
        )
        p.add_argument(
            "--tls-port",
            type=port_number,
            default=default(DEFAULTS["tls_port"]),
            help="HTTPS port, 0 for any free one (default: 8443)",
        )
    run.add_argument(
        "argv",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND",
        help="the command to run",
    )
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    from playground.services import Playground

    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    # Both signals just end the wait below, so shutting down is the same
    # orderly path for Ctrl-C and for SIGTERM, at any moment.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with Playground(
        args.host,
        args.port,
        args.tls_port,
        args.state,
        quiet=not args.verbose,
        services=args.service or ["geocoder"],
    ) as pg:
        for line in pg.listening():
            say(line)
        stop.wait()
    return 0


def run(args: argparse.Namespace) -> int:
    from playground.services import Playground

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        print(
            "playground run: no command given (python -m playground run -- COMMAND)",
            file=sys.stderr,
        )
        return 2
    # Handle the signals from the start, so none can slip in between starting
    # COMMAND and being ready to pass it on.
    children: list[subprocess.Popen[bytes]] = []
    received: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        # Ctrl-C reaches the child from the terminal by itself; a SIGTERM sent
        # to us alone is passed on, so the child is not orphaned.
        if not children:
            received.append(signum)
        elif signum == signal.SIGTERM:
            children[0].send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    with Playground(
        args.host,
        state_dir=args.state,
        quiet=not args.verbose,
        services=args.service or ["geocoder"],
    ) as pg:
        if received:  # told to stop before COMMAND even started
            return 128 + received[0]
        try:
            children.append(subprocess.Popen(argv, env=pg.child_env()))
        except OSError as exc:
            problem = f"cannot run {argv[0]}: {exc.strerror}"
            print(f"playground run: {problem}", file=sys.stderr)
            return 127
        if signal.SIGTERM in received:  # came while COMMAND was starting
            children[0].send_signal(signal.SIGTERM)
        status = children[0].wait()
    return 128 - status if status < 0 else status


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return start(args)
    except KeyboardInterrupt:  # Ctrl-C before the services were up
        return 130 if args.command == "run" else 0


def start(args: argparse.Namespace) -> int:
    # The playground's modules are imported here and in serve() and run(),
    # not at the top, so that a Ctrl-C while these (slowish) imports run is
    # still a quiet exit.
    from playground.tls import StateError

    what = "playground run" if args.command == "run" else "playground"
    try:
        return run(args) if args.command == "run" else serve(args)
    except StateError as exc:
        problem = str(exc)
    except (KeyError, ValueError) as exc:  # --service: none by that name, or
        print(f"{what}: {exc.args[0]}", file=sys.stderr)  # not for loopback
        return 2
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.filename:
            problem = f"{exc.filename}: {reason}"
        elif args.command == "run":
            problem = f"cannot listen on {args.host}: {reason}"
        else:
            ports = f"port {args.port} or {args.tls_port}"
            problem = f"cannot listen on {args.host} {ports}: {reason}"
    print(f"{what}: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
