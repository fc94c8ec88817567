"""getname.py: resolving names through the operating system, and failing well."""

import socket
import subprocess
import sys

import pytest

from listings.chapter01 import getname
from tests.conftest import ROOT, listing_env, netguard, run_listing


def resolver_lines(name: str) -> list[str]:
    """What the listing should print for NAME: one line per distinct address,
    in the order this machine's resolver gives them (in this guarded process)."""
    lines = []
    for family, *_, sockaddr in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM):
        label = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}[family]
        lines.append(f"{label}  {sockaddr[0]}")
    return list(dict.fromkeys(lines))


def test_localhost_lists_each_address_once():
    result = run_listing("chapter01/getname.py", "localhost")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "IPv4  127.0.0.1" in lines
    # ::1 appears exactly when this machine's resolver maps localhost to it
    # (/etc/hosts decides: some systems list only 127.0.0.1).
    assert lines == resolver_lines("localhost")
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize(
    ("name", "line"), [("127.0.0.1", "IPv4  127.0.0.1"), ("::1", "IPv6  ::1")]
)
def test_a_numeric_address_comes_back_as_itself(name, line):
    result = run_listing("chapter01/getname.py", name)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{line}\n", "")


def test_an_unknown_name_gives_one_line_and_status_1():
    result = run_listing("chapter01/getname.py", "nowhere.invalid")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "getname: cannot resolve nowhere.invalid: Name or service not known\n"
    )


def test_a_label_too_long_for_dns_is_refused_before_any_lookup(monkeypatch, capsys):
    # The real getaddrinfo: Python's IDNA codec rejects a 64-character label
    # while encoding the name, before the resolver is asked anything.
    monkeypatch.setattr(socket, "getaddrinfo", netguard._getaddrinfo)
    name = "a" * 64 + ".invalid"
    monkeypatch.setattr(sys, "argv", ["getname.py", name])
    with pytest.raises(SystemExit) as stop:
        getname.main()
    assert stop.value.code == f"getname: cannot resolve {name}: not a valid host name"


def test_addresses_function_removes_repeats():
    assert getname.addresses("127.0.0.1") == [("IPv4", "127.0.0.1")]
    assert getname.addresses("::1") == [("IPv6", "::1")]


def test_runs_as_a_module_too():
    result = subprocess.run(
        [sys.executable, "-m", "listings.chapter01.getname", "::1"],
        capture_output=True,
        text=True,
        env=listing_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "IPv6  ::1\n")


def test_help_names_the_default():
    result = run_listing("chapter01/getname.py", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: getname.py [-h] [name]")
    assert "default: www.python.org" in result.stdout
