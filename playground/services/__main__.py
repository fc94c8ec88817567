"""``python -m playground.services NAME [options]``: run one service of the
registry in the foreground until Ctrl-C (or SIGTERM, which ends it at once).

This is how the network playground starts a ``serve`` service inside its
host's namespace (through ``ip netns exec``). It prints one line to stderr
once the service listens, and one line naming the cause if it cannot.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from playground import services, tls
from playground.services.spec import Context


def port_setting(text: str) -> tuple[str, int]:
    """``NAME=NUMBER`` for argparse."""
    name, _, number = text.partition("=")
    return name, int(number)


port_setting.__name__ = "NAME=NUMBER"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m playground.services",
        description="Run one playground service in the foreground.",
    )
    parser.add_argument("name", choices=[s.name for s in services.REGISTRY])
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port",
        type=port_setting,
        action="append",
        default=[],
        help="NAME=NUMBER: listen on NUMBER for the port NAME (default: declared)",
    )
    parser.add_argument("--state", type=Path, help="the state folder (its CA)")
    parser.add_argument("--work", type=Path, help="a folder for the service's files")
    parser.add_argument("--cert", type=Path, help="its key and certificate chain (PEM)")
    parser.add_argument("--verbose", action="store_true", help="log each request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    service = services.named(args.name)
    what = f"playground.services {service.name}"
    if service.serve is None:
        print(f"{what}: starts as a program, not in Python", file=sys.stderr)
        return 2
    if service.certificate and args.cert is None:
        print(f"{what}: needs --cert (its key and certificate)", file=sys.stderr)
        return 2
    state = tls.state_dir(args.state)
    ctx = Context(
        address=args.address,
        ports={p.name: p.number for p in service.ports} | dict(args.port),
        state=state,
        work=args.work or state,
        certificate=args.cert,
        quiet=not args.verbose,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    # Ctrl-C stops in order. SIGTERM, which is how the network playground's
    # down ends its services, keeps its default: the process ends at once,
    # (with its sockets, so nothing is left), as fast as down can be.
    before = signal.signal(signal.SIGINT, request_stop)
    try:
        try:
            running = service.serve(ctx)
        except OSError as exc:
            print(f"{what}: cannot listen: {exc.strerror or exc}", file=sys.stderr)
            return 1
        running.start()
        ports = ", ".join(f"{k} {v}" for k, v in running.ports.items())
        print(f"{what}: listening ({ports})", file=sys.stderr, flush=True)
        stop.wait()
        running.stop()
        print(f"{what}: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, before)


if __name__ == "__main__":
    sys.exit(main())
