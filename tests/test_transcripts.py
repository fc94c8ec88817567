"""The console sessions the book shows are what the commands print today.

Each session of book/transcripts/manifest.toml runs once (one test each, for
readable failures) against one playground, and must reproduce its committed
files exactly; the chapters may show no console output but those files.
Sessions on the network playground (``host``) run on a network of their
own (namespaces ``powxPID-*``), up from the first of them to the end of
this module; without root or network namespaces they are skipped with the
reason.
The book's figure of that network must be what its topology draws.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.net import topology
from playground.net.figure import dot
from tools import transcripts as t

SESSIONS = t.load_manifest()
FIGURE = t.BOOK / "figures" / "playground.dot"


def our_namespaces() -> list[str]:
    """Namespaces and /etc/netns folders of this process's network."""
    found = []
    for folder in (Path("/run/netns"), Path("/etc/netns")):
        if folder.is_dir():
            found += [str(folder / n) for n in os.listdir(folder)]
    return [n for n in found if Path(n).name.startswith(t.net_prefix())]


@pytest.fixture(scope="module")
def runner() -> Iterator[t.Runner]:
    with t.Runner() as runner:
        yield runner
    assert our_namespaces() == [], "the transcripts' network was left behind"


# -- the committed files match ----------------------------------------------


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s.name)
def test_the_committed_transcript_is_what_the_commands_print(runner, session):
    result = runner.run(session)
    if result.skipped:
        pytest.skip(f"{session.name} runs on the network playground: {result.skipped}")
    diffs = t.differences(result)
    if result.problems or diffs:
        pytest.fail(t.report(result, diffs), pytrace=False)


def test_every_file_under_book_transcripts_comes_from_a_session():
    assert t.stale_files(SESSIONS) == [], "delete them, or run `make transcripts`"


def test_the_chapters_show_no_console_output_typed_by_hand():
    problems = t.chapter_problems(t.chapters(), SESSIONS)
    assert not problems, "\n".join(problems)


def test_every_transcript_is_shown_in_a_chapter():
    unused = [
        str(p.relative_to(t.ROOT)) for p in t.unused_files(t.chapters(), SESSIONS)
    ]
    assert not unused, (
        "generated but included by no chapter (add a {literalinclude}, or drop the"
        " session from the manifest):\n" + "\n".join(unused)
    )


def test_the_network_playground_sessions_the_book_promises_are_there():
    shown = {
        (host, command)
        for s in SESSIONS
        if s.on_network
        for host, command in zip(s.hosts, s.commands, strict=True)
    }
    assert ("h1", "python3 listings/chapter01/getname.py www.example.com") in shown
    assert any(
        h == "h1" and "search" in c and "--server https://www.example.com" in c
        for h, c in shown
    )
    assert {h for h, c in shown if "/_playground/whoami" in c} == {"h1", "h4"}
    assert ("h4", "tracepath -n www.example.com") in shown


def test_each_layer_of_the_search_listings_has_its_wire_capture():
    layers = {p.stem for p in (t.LISTINGS / "chapter01").glob("search[0-9].py")}
    wired = {s.id for s in SESSIONS if s.wire and s.chapter == "chapter01"}
    assert layers and wired == layers


# -- the machinery can fail ---------------------------------------------------


def session(**fields) -> t.Session:
    entry = {"id": "demo", "commands": "python3 -c 'print(42)'", **fields}
    return t._session("chapter01", entry)


def test_a_changed_word_fails_with_a_diff_and_the_command_that_regenerates(
    runner, tmp_path, monkeypatch
):
    monkeypatch.setattr(t, "TRANSCRIPTS", tmp_path)
    demo = session(commands="python3 -c 'print(\"hello, wire\")'")
    demo.path.parent.mkdir(parents=True)
    demo.path.write_text("$ python3 -c 'print(\"hello, wire\")'\nhello, world\n")
    result = runner.run(demo)
    assert result.problems == []
    assert result.transcript == "$ python3 -c 'print(\"hello, wire\")'\nhello, wire\n"
    [diff] = t.differences(result)
    assert "-hello, world\n+hello, wire\n" in diff
    assert "make transcripts" in t.report(result, [diff])
    demo.path.write_text(result.transcript)
    assert t.differences(result) == []


def test_an_unexpected_exit_status_is_a_failure_that_shows_the_output(runner):
    result = runner.run(session(commands="python3 -c 'import sys; sys.exit(\"oops\")'"))
    [problem] = result.problems
    assert "exited with status 1, the manifest expects 0" in problem
    assert "oops" in problem


def test_stdout_and_stderr_interleave_as_on_a_terminal(runner):
    code = "import sys; print('one'); print('two', file=sys.stderr); print('three')"
    result = runner.run(session(commands=[f'python3 -c "{code}"', "python3 -c 'pass'"]))
    assert result.transcript.splitlines()[1:] == [
        "one",
        "two",
        "three",
        "$ python3 -c 'pass'",
    ]


def test_a_command_runs_in_the_fixed_environment(runner):
    code = (
        "import os, sys; print(os.environ['LC_ALL'], os.environ['COLUMNS'],"
        " os.environ['TZ'], sys.flags.no_user_site, os.listdir(os.environ['HOME']))"
    )
    result = runner.run(session(commands=f'python3 -c "{code}"'))
    assert result.transcript.splitlines()[1] == "C.UTF-8 80 UTC 1 []"


def test_a_session_that_leaves_loopback_fails(runner):
    code = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"
    result = runner.run(session(commands=f'python3 -c "{code}"', status=1))
    assert any("beyond loopback" in p and "192.0.2.1" in p for p in result.problems)


def test_the_reader_s_ports_are_translated_both_ways(runner):
    command = (
        "python3 -c 'import sys; print(sys.argv[1])' https://127.0.0.1:8443/search"
    )
    argv = runner.real_argv(command)
    real_port = runner.playground.https_url.rsplit(":", 1)[1]
    assert argv[-1] == f"https://127.0.0.1:{real_port}/search"
    result = runner.run(session(commands=command))
    assert result.transcript.splitlines()[1] == "https://127.0.0.1:8443/search"


def test_the_geocoder_service_sets_the_reader_s_environment(runner):
    code = "import os; print(os.environ['GEOCODER_URL'], 'SSL_CERT_FILE' in os.environ)"
    trusted = runner.run(session(commands=f'python3 -c "{code}"', services="geocoder"))
    assert trusted.transcript.splitlines()[1] == "https://127.0.0.1:8443 True"
    untrusted = runner.run(
        session(commands=f'python3 -c "{code}"', services="geocoder", trust_ca=False)
    )
    assert untrusted.transcript.splitlines()[1] == "https://127.0.0.1:8443 False"


def test_normalise_numbers_whoami_ports_and_fixes_tracepath_times():
    raw = (
        "$ python -m playground.net exec h1 -- curl -s URL\n198.51.100.2 38442\n"
        "$ python -m playground.net exec h4 -- curl -s URL\n198.51.100.6 38442\n"
        " 1:  192.168.1.1                                          12.034ms \n"
        " 2:  198.51.100.5                                          0.113ms pmtu 1492\n"
        "     Resume: pmtu 1492 hops 5 back 5 \n"
    )
    # One number per line, even for the same port twice (both homes' clients
    # happened to pick it); the times keep tracepath's columns.
    assert t.normalise(raw, {}) == (
        "$ python -m playground.net exec h1 -- curl -s URL\n198.51.100.2 50001\n"
        "$ python -m playground.net exec h4 -- curl -s URL\n198.51.100.6 50002\n"
        " 1:  192.168.1.1                                           0.100ms \n"
        " 2:  198.51.100.5                                          0.100ms pmtu 1492\n"
        "     Resume: pmtu 1492 hops 5 back 5 \n"
    )
    # Client ports already known come first; the whoami port takes the next.
    assert t.normalise("127.0.0.1 40000\n", {41234: 8443, 51515: 50001}) == (
        "127.0.0.1 50002\n"
    )


def test_normalise_touches_only_ports_dates_and_line_ends():
    ports = {41234: 8443, 51515: 50001}
    raw = (
        "HTTP/1.1 200 OK\r\nDate: Tue, 24 Nov 2026 07:01:02 GMT\r\n\r\n"
        '{"lat":"41.41234","id":412345,"port":41234} from 127.0.0.1:51515\n'
    )
    assert t.normalise(raw, ports) == (
        "HTTP/1.1 200 OK\nDate: Thu, 01 Jan 2026 12:00:00 GMT\n\n"
        '{"lat":"41.41234","id":412345,"port":8443} from 127.0.0.1:50001\n'
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"colour": "red"}, r"unknown field\(s\) colour"),
        ({"id": "Bad Id"}, "id must be"),
        ({"commands": []}, "commands must be"),
        ({"commands": ["a", "b"], "status": [0]}, "one number per command"),
        ({"services": "dns"}, "services must be one of none, geocoder"),
        ({"host": "h9"}, "host must be a host of the network playground"),
        ({"host": ["h1", "h4"]}, "or one per command"),
        ({"host": "h1", "services": "geocoder"}, "neither services nor wire"),
        ({"host": "h1", "wire": True}, "neither services nor wire"),
    ],
)
def test_a_wrong_manifest_entry_is_refused_with_its_reason(fields, message):
    with pytest.raises(t.ManifestError, match=message):
        session(**fields)


# -- sessions on the network playground ---------------------------------------


@pytest.mark.skipif(
    t.network_support() != "", reason="needs root and Linux network namespaces"
)
def test_a_network_left_by_a_killed_run_is_cleared_by_the_next(tmp_path):
    child = subprocess.Popen(["true"])  # ends at once: its process id is gone
    child.wait()
    dead = child.pid
    for name in ("h1", "www"):
        subprocess.run(
            ["ip", "netns", "add", f"{t.net_prefix(dead)}{name}"], check=True
        )
    (Path("/etc/netns") / f"{t.net_prefix(dead)}h1").mkdir(parents=True)
    assert t.clear_abandoned_networks() == [dead]
    left = [
        n
        for folder in (Path("/run/netns"), Path("/etc/netns"))
        if folder.is_dir()
        for n in os.listdir(folder)
        if n.startswith(t.net_prefix(dead))
    ]
    assert left == []


def test_a_host_session_shows_how_the_reader_runs_it_on_that_host():
    demo = session(host=["h1", "h4"], commands=["hostname -I", "tracepath -n x"])
    assert demo.on_network and not session().on_network
    assert demo.prompts() == [
        "python -m playground.net exec h1 -- hostname -I",
        "python -m playground.net exec h4 -- tracepath -n x",
    ]


def test_without_namespaces_host_sessions_are_skipped_and_files_kept(
    runner, monkeypatch
):
    why = "network namespaces need root: run it with sudo (sudo make playground-up)"
    monkeypatch.setattr(runner, "_network_support", why)
    [tracepath] = [s for s in SESSIONS if s.id == "tracepath-h4"]
    result = runner.run(tracepath)
    assert (result.skipped, result.problems, result.transcript) == (why, [], "")
    # Locally run sessions do not care.
    assert runner.run(session()).transcript == "$ python3 -c 'print(42)'\n42\n"


def test_a_host_session_whose_program_is_missing_is_skipped(runner, monkeypatch):
    monkeypatch.setattr(runner, "_network_support", "")
    result = runner.run(session(host="h2", commands="no-such-program-here --help"))
    assert result.skipped == (
        "no-such-program-here is not installed (make system-deps installs it)"
    )


def test_make_transcripts_skips_them_in_one_line(monkeypatch, capsys):
    why = "this system has no Linux network namespaces (the playground needs them)"
    monkeypatch.setattr(t, "network_support", lambda: why)
    before = (t.TRANSCRIPTS / "chapter01" / "tracepath-h4.txt").read_bytes()
    assert t.main(["tracepath-h4", "nat-whoami"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "skipped 2 session(s) on the network playground (nat-whoami, tracepath-h4):"
        f" {why}"
    )
    assert out[1].startswith("0 transcripts and 0 wire captures regenerated in")
    assert (t.TRANSCRIPTS / "chapter01" / "tracepath-h4.txt").read_bytes() == before


# -- the figure of the network playground ----------------------------------------


def figure_report(committed: str, drawn: str) -> str:
    """A diff and the command that regenerates the figure ("" when equal)."""
    if committed == drawn:
        return ""
    rel = FIGURE.relative_to(t.ROOT)
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            drawn.splitlines(keepends=True),
            fromfile=f"{rel} (committed)",
            tofile=f"{rel} (what playground/net/topology.py draws now)",
        )
    )
    return (
        f"{diff}\nIf the topology is right, regenerate the figure with `make figures`"
        f" (python -m playground.net dot > {rel}) and commit it."
    )


def test_the_playground_figure_is_what_the_topology_draws():
    report = figure_report(FIGURE.read_text(encoding="utf-8"), dot())
    if report:
        pytest.fail(report, pytrace=False)


def test_a_changed_topology_fails_the_figure_check(monkeypatch):
    links = [
        dataclasses.replace(link, mtu=1480, note="MTU 1480")
        if link.mtu != 1500
        else link
        for link in topology.LINKS
    ]
    monkeypatch.setattr(topology, "LINKS", tuple(links))
    report = figure_report(FIGURE.read_text(encoding="utf-8"), dot())
    assert '-    modemB -- isp [label="198.51.100.4/30\\nMTU 1492' in report
    assert '+    modemB -- isp [label="198.51.100.4/30\\nMTU 1480' in report
    assert "make figures" in report


# -- spotting hand-typed output in a chapter ----------------------------------

CHAPTER = """\
# A chapter

```console
$ python3 search2.py
41.5, -84.3
```

```shell
python3 -m venv env
```

```bash
$ ls
```

```{code-block} http
GET / HTTP/1.1
```

:::{note}
```shell-session
$ typed by hand
```
:::

````{admonition} Fine
```pycon
>>> 1 + 1
2

```
````

```{literalinclude} transcripts/chapter01/made-up.txt
:language: console
```

```{literalinclude} transcripts/chapter01/search2.txt
:language: console
```
"""


def test_hand_typed_console_blocks_are_found_and_generated_ones_pass(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(t, "BOOK", tmp_path)
    monkeypatch.setattr(t, "TRANSCRIPTS", tmp_path / "transcripts")
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER)
    problems = t.chapter_problems([chapter], SESSIONS)
    lines = sorted(int(p.split(":")[1]) for p in problems)
    assert lines == [3, 12, 16, 21, 34], problems
    assert "made-up.txt" in problems[-1] and "no session" in problems[-1]
    unused = t.unused_files([chapter], SESSIONS)
    assert tmp_path / "transcripts" / "chapter01" / "search2.txt" not in unused
    assert tmp_path / "transcripts" / "chapter01" / "subnets-info.txt" in unused


def test_the_tool_s_own_examples_hold():
    import doctest

    assert doctest.testmod(t).failed == 0
