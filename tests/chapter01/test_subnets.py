"""subnets.py: subnet facts, kinds of address, edge routing, IPv4 fragments.

The bulk of the values are checked by calling the listing's functions; a
representative set runs the listing as a reader does, for real exit statuses,
standard error and the text layout. Expected values are written out by hand.
"""

import json
import subprocess
import sys
from ipaddress import ip_address, ip_interface

import pytest

from listings.chapter01.subnets import fragments, info, kind, route
from tests.conftest import ROOT, listing_env, run_listing

LISTING = "chapter01/subnets.py"
KEYS = [
    "network",
    "netmask",
    "prefixlen",
    "broadcast",
    "first",
    "last",
    "hosts",
    "kind",
]


def subnets(*args: str) -> subprocess.CompletedProcess[str]:
    return run_listing(LISTING, *args)


def usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """Check that RESULT is an argparse-style failure and return its error line."""
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("usage: subnets.py")
    assert "Traceback" not in result.stderr
    return lines[-1]


# info ------------------------------------------------------------------------

INFO = {
    "192.168.5.0/24": [
        "192.168.5.0/24",
        "255.255.255.0",
        24,
        "192.168.5.255",
        "192.168.5.1",
        "192.168.5.254",
        254,
        "private",
    ],
    "192.168.5.10/24": [
        "192.168.5.0/24",
        "255.255.255.0",
        24,
        "192.168.5.255",
        "192.168.5.1",
        "192.168.5.254",
        254,
        "private",
    ],
    "192.168.5.10/255.255.255.0": [
        "192.168.5.0/24",
        "255.255.255.0",
        24,
        "192.168.5.255",
        "192.168.5.1",
        "192.168.5.254",
        254,
        "private",
    ],
    "192.168.5.9/30": [
        "192.168.5.8/30",
        "255.255.255.252",
        30,
        "192.168.5.11",
        "192.168.5.9",
        "192.168.5.10",
        2,
        "private",
    ],
    "10.0.0.0/8": [
        "10.0.0.0/8",
        "255.0.0.0",
        8,
        "10.255.255.255",
        "10.0.0.1",
        "10.255.255.254",
        16_777_214,
        "private",
    ],
    "127.0.0.1/8": [
        "127.0.0.0/8",
        "255.0.0.0",
        8,
        "127.255.255.255",
        "127.0.0.1",
        "127.255.255.254",
        16_777_214,
        "loopback",
    ],
    "100.64.7.1/10": [
        "100.64.0.0/10",
        "255.192.0.0",
        10,
        "100.127.255.255",
        "100.64.0.1",
        "100.127.255.254",
        4_194_302,
        "shared",
    ],
    # RFC 3021: a /31 point-to-point link uses both addresses, no broadcast.
    "192.168.5.10/31": [
        "192.168.5.10/31",
        "255.255.255.254",
        31,
        None,
        "192.168.5.10",
        "192.168.5.11",
        2,
        "private",
    ],
    "192.168.5.11/31": [
        "192.168.5.10/31",
        "255.255.255.254",
        31,
        None,
        "192.168.5.10",
        "192.168.5.11",
        2,
        "private",
    ],
    "192.168.5.10/32": [
        "192.168.5.10/32",
        "255.255.255.255",
        32,
        None,
        "192.168.5.10",
        "192.168.5.10",
        1,
        "private",
    ],
    "192.168.5.10": [
        "192.168.5.10/32",
        "255.255.255.255",
        32,
        None,
        "192.168.5.10",
        "192.168.5.10",
        1,
        "private",
    ],
    "0.0.0.0/0": [
        "0.0.0.0/0",
        "0.0.0.0",
        0,
        "255.255.255.255",
        "0.0.0.1",
        "255.255.255.254",
        2**32 - 2,
        "unspecified",
    ],
    # IPv6: no broadcast; the first address is the subnet-router anycast.
    "2001:db8::/64": [
        "2001:db8::/64",
        "ffff:ffff:ffff:ffff::",
        64,
        None,
        "2001:db8::1",
        "2001:db8::ffff:ffff:ffff:ffff",
        2**64 - 1,
        "documentation",
    ],
    "fe80::1/64": [
        "fe80::/64",
        "ffff:ffff:ffff:ffff::",
        64,
        None,
        "fe80::1",
        "fe80::ffff:ffff:ffff:ffff",
        2**64 - 1,
        "link-local",
    ],
    "fd12:3456:789a::42/48": [
        "fd12:3456:789a::/48",
        "ffff:ffff:ffff::",
        48,
        None,
        "fd12:3456:789a::1",
        "fd12:3456:789a:ffff:ffff:ffff:ffff:ffff",
        2**80 - 1,
        "unique-local",
    ],
    "2001:db8::/126": [
        "2001:db8::/126",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc",
        126,
        None,
        "2001:db8::1",
        "2001:db8::3",
        3,
        "documentation",
    ],
    # RFC 6164: a /127 between two routers uses both addresses.
    "2001:db8::/127": [
        "2001:db8::/127",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
        127,
        None,
        "2001:db8::",
        "2001:db8::1",
        2,
        "documentation",
    ],
    "::1/128": [
        "::1/128",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        128,
        None,
        "::1",
        "::1",
        1,
        "loopback",
    ],
}


@pytest.mark.parametrize("cidr", INFO)
def test_info_values(cidr):
    assert info(ip_interface(cidr)) == dict(zip(KEYS, INFO[cidr], strict=True))


def test_info_hosts_agrees_with_ipaddress_counting_hosts():
    # ipaddress.hosts() sets the same addresses aside (checked on small subnets).
    for cidr in [
        "192.168.5.0/24",
        "192.168.5.8/29",
        "192.168.5.8/31",
        "192.168.5.8/32",
        "2001:db8::/120",
        "2001:db8::/127",
        "::1/128",
    ]:
        hosts = list(ip_interface(cidr).network.hosts())
        described = info(ip_interface(cidr))
        assert described["hosts"] == len(hosts)
        assert described["first"] == str(hosts[0])
        assert described["last"] == str(hosts[-1])


def test_info_text_is_an_aligned_table():
    result = subnets("info", "192.168.5.10/24")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "network    192.168.5.0/24\n"
        "netmask    255.255.255.0\n"
        "prefixlen  24\n"
        "broadcast  192.168.5.255\n"
        "first      192.168.5.1\n"
        "last       192.168.5.254\n"
        "hosts      254\n"
        "kind       private\n"
    )


def test_info_text_says_none_where_there_is_no_broadcast():
    result = subnets("info", "192.168.5.10/31")
    assert result.returncode == 0
    assert "broadcast  none\n" in result.stdout
    assert "hosts      2\n" in result.stdout


@pytest.mark.parametrize("cidr", ["2001:db8::/64", "192.168.5.10/32"])
def test_info_json_has_exactly_the_documented_keys(cidr):
    result = subnets("info", cidr, "--json")
    assert (result.returncode, result.stderr) == (0, "")
    answer = json.loads(result.stdout)
    assert list(answer) == KEYS
    assert answer == dict(zip(KEYS, INFO[cidr], strict=True))


@pytest.mark.parametrize(
    "bad",
    [
        "192.168.5.0/33",
        "192.168.5.0/-1",
        "2001:db8::/129",
        "300.1.2.3/24",
        "192.168.5/24",
        "example.com",
        "10.0.0.0/255.0.255.0",
    ],
)
def test_info_rejects_what_does_not_parse(bad):
    line = usage_error(subnets("info", bad))
    assert line == (
        f"subnets.py info: error: argument cidr: invalid ip_interface value: '{bad}'"
    )


# classify ----------------------------------------------------------------------

KINDS = {
    "127.0.0.1": "loopback",
    "10.1.2.3": "private",
    "172.16.5.4": "private",
    "172.31.255.255": "private",
    "172.32.0.1": "global",  # just outside 172.16.0.0/12
    "192.168.1.1": "private",
    "169.254.1.1": "link-local",
    "224.0.0.1": "multicast",
    "100.64.0.1": "shared",
    "100.127.255.254": "shared",
    "192.0.2.1": "documentation",
    "198.51.100.7": "documentation",
    "203.0.113.9": "documentation",
    "8.8.8.8": "global",
    "240.0.0.1": "reserved",
    "0.0.0.0": "unspecified",
    "198.18.0.1": "special",  # benchmarking (RFC 2544): neither global nor named
    "::": "unspecified",
    "::1": "loopback",
    "fe80::1": "link-local",
    "fd00::1": "unique-local",
    "fc00::1": "unique-local",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation",  # RFC 9637; ipaddress alone calls it global
    "ff02::1": "multicast",
    "2606:4700::1111": "global",
}


@pytest.mark.parametrize("address", KINDS)
def test_kind(address):
    assert kind(ip_address(address)) == KINDS[address]


def test_kind_is_more_specific_than_is_private():
    # ipaddress calls all of these private; the listing names them better.
    for text in ["192.0.2.1", "2001:db8::1", "127.0.0.1", "169.254.1.1", "0.0.0.0"]:
        assert ip_address(text).is_private
        assert kind(ip_address(text)) != "private"


def test_classify_text_aligns_the_kinds():
    result = subnets(
        "classify", "127.0.0.1", "100.64.0.1", "2606:4700::1111", "fd00::1"
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "127.0.0.1        loopback\n"
        "100.64.0.1       shared\n"
        "2606:4700::1111  global\n"
        "fd00::1          unique-local\n"
    )


def test_classify_json_maps_each_address_to_its_kind():
    result = subnets("classify", *KINDS, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == KINDS


def test_classify_writes_addresses_in_canonical_form():
    result = subnets("classify", "2001:DB8:0:0::0001", "--json")
    assert json.loads(result.stdout) == {"2001:db8::1": "documentation"}


def test_classify_rejects_a_bad_address():
    line = usage_error(subnets("classify", "10.1.2.3", "10.1.2.300"))
    assert line == (
        "subnets.py classify: error: argument address: "
        "invalid ip_address value: '10.1.2.300'"
    )


# route -------------------------------------------------------------------------

HOME = ip_interface("192.168.5.10/24"), ip_address("192.168.5.1")
HOME6 = ip_interface("2001:db8:5::10/64"), ip_address("2001:db8:5::1")


@pytest.mark.parametrize(
    ("destination", "network", "decision", "hop"),
    [
        ("127.0.0.1", HOME, "loopback", None),
        ("127.8.9.10", HOME, "loopback", None),
        ("192.168.5.10", HOME, "loopback", None),  # this host's own address
        ("192.168.5.77", HOME, "direct", "192.168.5.77"),
        ("192.168.5.1", HOME, "direct", "192.168.5.1"),  # the gateway itself
        ("192.168.5.255", HOME, "direct", "192.168.5.255"),
        ("192.168.6.1", HOME, "gateway", "192.168.5.1"),
        ("8.8.8.8", HOME, "gateway", "192.168.5.1"),
        ("::1", HOME6, "loopback", None),
        ("2001:db8:5::99", HOME6, "direct", "2001:db8:5::99"),
        ("2001:db8:6::99", HOME6, "gateway", "2001:db8:5::1"),
        ("2606:4700::1111", HOME6, "gateway", "2001:db8:5::1"),
    ],
)
def test_route_decisions(destination, network, decision, hop):
    host, gateway = network
    assert route(ip_address(destination), host, gateway) == {
        "destination": destination,
        "subnet": str(host.network),
        "route": decision,
        "next_hop": hop,
    }


def test_route_refuses_a_gateway_off_the_subnet():
    with pytest.raises(ValueError) as refused:
        route(ip_address("8.8.8.8"), HOME[0], ip_address("10.0.0.1"))
    assert str(refused.value) == (
        "gateway 10.0.0.1 is not on the local subnet 192.168.5.0/24"
    )


def test_route_refuses_mixed_versions():
    with pytest.raises(ValueError, match="different IP versions"):
        route(ip_address("2001:db8::1"), *HOME)


def test_route_text_with_the_defaults_of_the_chapter():
    result = subnets("route", "8.8.8.8")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "destination  8.8.8.8\n"
        "subnet       192.168.5.0/24\n"
        "route        gateway\n"
        "next_hop     192.168.5.1\n"
    )


def test_route_loopback_text_says_none():
    result = subnets(
        "route", "127.0.0.1", "--address", "10.0.0.5/8", "--gateway", "10.0.0.1"
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[-2:] == [
        "route        loopback",
        "next_hop     none",
    ]


def test_route_json():
    result = subnets(
        "route",
        "192.168.5.77",
        "--address",
        "192.168.5.10/24",
        "--gateway",
        "192.168.5.1",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "destination": "192.168.5.77",
        "subnet": "192.168.5.0/24",
        "route": "direct",
        "next_hop": "192.168.5.77",
    }


def test_route_gateway_off_the_subnet_is_a_usage_error():
    line = usage_error(subnets("route", "8.8.8.8", "--gateway", "10.0.0.1"))
    assert line == (
        "subnets.py: error: gateway 10.0.0.1 is not on the local subnet 192.168.5.0/24"
    )


def test_route_mixed_versions_is_a_usage_error():
    line = usage_error(subnets("route", "2001:db8::1"))
    assert line == (
        "subnets.py: error: 2001:db8::1 and 192.168.5.10/24 are different IP versions"
    )


# fragments ---------------------------------------------------------------------


def table(result: dict) -> list[tuple[int, int, int, int, bool]]:
    return [tuple(piece.values()) for piece in result["fragments"]]


def test_fragments_4000_over_ethernet():
    result = fragments(4000, 1500)
    assert (result["size"], result["mtu"], result["count"]) == (4000, 1500, 3)
    assert table(result) == [
        (0, 0, 1480, 1500, True),
        (1480, 185, 1480, 1500, True),
        (2960, 370, 1020, 1040, False),
    ]


def test_fragments_a_datagram_that_fits_is_one_piece():
    assert table(fragments(1500, 1500)) == [(0, 0, 1480, 1500, False)]
    assert table(fragments(20, 1500)) == [(0, 0, 0, 20, False)]  # header only


def test_fragments_over_pppoe():
    assert table(fragments(1500, 1492)) == [
        (0, 0, 1472, 1492, True),
        (1472, 184, 8, 28, False),
    ]
    assert table(fragments(4000, 1492)) == [
        (0, 0, 1472, 1492, True),
        (1472, 184, 1472, 1492, True),
        (2944, 368, 1036, 1056, False),
    ]


def test_fragments_at_the_ipv4_minimum_mtu():
    # 68 - 20 = 48 bytes of data, already a multiple of 8.
    assert table(fragments(100, 68)) == [(0, 0, 48, 68, True), (48, 6, 32, 52, False)]


def test_fragments_of_the_largest_datagram():
    result = fragments(65535, 1500)
    assert result["count"] == 45
    assert table(result)[-1] == (65120, 8140, 395, 415, False)


@pytest.mark.parametrize("mtu", [68, 69, 75, 576, 1280, 1492, 1500, 9000])
def test_fragments_rules_hold_for_many_sizes(mtu):
    for size in [20, 21, 67, 68, 69, 100, 1499, 1500, 1501, 4000, 9001, 65535]:
        pieces = fragments(size, mtu)["fragments"]
        assert sum(p["data"] for p in pieces) == size - 20
        assert all(p["length"] <= mtu for p in pieces)
        assert all(p["length"] == p["data"] + 20 for p in pieces)
        assert all(p["data"] % 8 == 0 for p in pieces[:-1])
        assert all(p["offset_field"] * 8 == p["offset"] for p in pieces)
        flags = [p["more_fragments"] for p in pieces]
        assert flags == [True] * (len(pieces) - 1) + [False]
        assert [p["offset"] for p in pieces] == [
            sum(p["data"] for p in pieces[:i]) for i in range(len(pieces))
        ]
        if size <= mtu:
            assert len(pieces) == 1


@pytest.mark.parametrize(
    ("size", "mtu", "message"),
    [
        (4000, 67, "MTU 67 is below 68, the least IPv4 allows"),
        (4000, 0, "MTU 0 is below 68, the least IPv4 allows"),
        (65536, 1500, "size 65536 is not between 20 and 65535 bytes"),
        (19, 1500, "size 19 is not between 20 and 65535 bytes"),
        (-5, 1500, "size -5 is not between 20 and 65535 bytes"),
    ],
)
def test_fragments_refuses_impossible_numbers(size, mtu, message):
    with pytest.raises(ValueError) as refused:
        fragments(size, mtu)
    assert str(refused.value) == message


def test_fragments_text_table():
    result = subnets("fragments", "4000", "--mtu", "1500")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "size   4000\n"
        "mtu    1500\n"
        "count  3\n"
        "offset   field   data  length  MF\n"
        "     0       0   1480    1500   1\n"
        "  1480     185   1480    1500   1\n"
        "  2960     370   1020    1040   0\n"
    )


def test_fragments_json_with_the_default_mtu():
    result = subnets("fragments", "1500", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "size": 1500,
        "mtu": 1500,
        "count": 1,
        "fragments": [
            {
                "offset": 0,
                "offset_field": 0,
                "data": 1480,
                "length": 1500,
                "more_fragments": False,
            }
        ],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["4000", "--mtu", "60"],
            "subnets.py: error: MTU 60 is below 68, the least IPv4 allows",
        ),
        (["70000"], "subnets.py: error: size 70000 is not between 20 and 65535 bytes"),
        (["10"], "subnets.py: error: size 10 is not between 20 and 65535 bytes"),
        (
            ["lots"],
            "subnets.py fragments: error: argument size: invalid int value: 'lots'",
        ),
    ],
)
def test_fragments_bad_numbers_are_usage_errors(args, message):
    assert usage_error(subnets("fragments", *args)) == message


# the command line as a whole -----------------------------------------------------


def test_help_lists_the_subcommands():
    result = subnets("--help")
    assert result.returncode == 0
    assert result.stdout.startswith(
        "usage: subnets.py [-h] {info,classify,route,fragments} ...\n"
    )
    for text in [
        "describe a subnet",
        "name each address's kind",
        "pick the next hop",
        "split an IPv4 datagram",
    ]:
        assert text in result.stdout


@pytest.mark.parametrize("command", ["info", "classify", "route", "fragments"])
def test_every_subcommand_has_help_and_json(command):
    result = subnets(command, "--help")
    assert result.returncode == 0
    assert f"usage: subnets.py {command} [-h] [--json]" in result.stdout
    assert "print JSON, not text" in result.stdout


def test_route_help_shows_the_defaults():
    out = subnets("route", "--help").stdout
    assert "default: 192.168.5.10/24" in out
    assert "default: 192.168.5.1" in out


def test_a_subcommand_is_required():
    line = usage_error(subnets())
    assert line == "subnets.py: error: the following arguments are required: command"


def test_runs_as_a_module_too():
    result = subprocess.run(
        [sys.executable, "-m", "listings.chapter01.subnets", "classify", "10.1.2.3"],
        capture_output=True,
        text=True,
        env=listing_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "10.1.2.3  private\n")
