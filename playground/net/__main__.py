"""The network playground's command line.

``python -m playground.net up``
    build the twelve hosts and start their services (again: nothing to do);
``python -m playground.net down``
    stop the services and remove every namespace, link, rule and file made;
``python -m playground.net status``
    list hosts, addresses and services (exit status 0 only when all is up);
``python -m playground.net exec HOST -- COMMAND ...``
    run COMMAND on HOST, trusting the playground's certificate authority;
``python -m playground.net dot``
    print the topology as a Graphviz graph (needs no root).

All but ``dot`` need root and Linux network namespaces; without them they
say so in one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from playground.net.build import DEFAULT_PREFIX, NetError, Network

TRY = "python3 listings/chapter01/getname.py www.example.com"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m playground.net",
        description="A tiny Internet of twelve hosts in Linux network namespaces.",
    )
    parser.add_argument(
        "--prefix",
        default=os.environ.get("PLAYGROUND_NET_PREFIX", DEFAULT_PREFIX),
        help="prefix of the namespace names (default: %(default)s)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        help="folder of the CA and run files (default: build/playground)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="build the network and start its services")
    sub.add_parser("down", help="remove everything up made")
    sub.add_parser("status", help="hosts, addresses and services")
    run = sub.add_parser("exec", help="run a command on a host")
    run.add_argument("host")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    sub.add_parser("dot", help="print the topology as Graphviz dot text")
    return parser.parse_args(argv)


def show_status(net: Network) -> int:
    rows = net.status()
    if not any(row.exists for row in rows):
        print("the network playground is down (start it with: sudo make playground-up)")
        return 1
    print(f"{'host':9} {'addresses':30} services (namespaces {net.prefix}*)")
    for row in rows:
        addresses = row.addresses if row.exists else ["(no namespace)"]
        services = [f"{name} {'up' if ok else 'DOWN'}" for name, ok in row.services]
        for i, address in enumerate(addresses or ["-"]):
            extra = "; ".join(services) if i == 0 else ""
            print(f"{row.host if i == 0 else '':9} {address:30} {extra}".rstrip())
    if all(row.healthy for row in rows):
        print("all hosts and services are up")
        return 0
    print("the playground is only partly up: run up again")
    return 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "dot":
        from playground.net.figure import dot

        sys.stdout.write(dot())
        return 0
    net = Network(args.prefix, args.state)
    try:
        if args.command == "up":
            start = time.monotonic()
            built = net.up()
            took = time.monotonic() - start
            if built:
                print(
                    f"network playground up in {took:.1f} s ({args.prefix}* namespaces)"
                )
            else:
                print("network playground already up")
            print(f"try: sudo {sys.executable} -m playground.net exec h1 -- {TRY}")
            return 0
        if args.command == "down":
            start = time.monotonic()
            removed = net.down()
            took = time.monotonic() - start
            if removed:
                print(f"network playground down in {took:.1f} s ({removed} namespaces)")
            else:
                print("network playground was not up: nothing to remove")
            return 0
        if args.command == "status":
            return show_status(net)
        command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        argv_, env = net.exec_argv(args.host, command)
        sys.stdout.flush()
        os.execvpe(argv_[0], argv_, env)
    except NetError as exc:
        print(f"playground.net {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head, say
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
