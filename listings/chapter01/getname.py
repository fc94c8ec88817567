"""Turn a host name into its IP addresses, as every program here does.

socket.getaddrinfo() asks the operating system's resolver, which reads
/etc/hosts, asks DNS and so on, and answers with IPv4 and IPv6 addresses alike.
"""

import argparse
import socket
import sys

FAMILIES = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}


def addresses(name: str) -> list[tuple[str, str]]:
    """Return (family, address) pairs for NAME, in the resolver's order."""
    answers = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    pairs = [
        (FAMILIES[family], str(sockaddr[0]))
        for family, _type, _protocol, _canonical, sockaddr in answers
    ]
    return list(dict.fromkeys(pairs))  # drop repeats, keep the order


def main() -> None:
    parser = argparse.ArgumentParser(description="Resolve a host name.")
    parser.add_argument(
        "name",
        nargs="?",
        default="www.python.org",
        help="the host name to resolve (default: %(default)s)",
    )
    args = parser.parse_args()
    try:
        found = addresses(args.name)
    except socket.gaierror as exc:
        sys.exit(f"getname: cannot resolve {args.name}: {exc.strerror}")
    except UnicodeError:  # a label longer than 63 characters, for one
        sys.exit(f"getname: cannot resolve {args.name}: not a valid host name")
    for family, address in found:
        print(f"{family}  {address}")


if __name__ == "__main__":
    main()
