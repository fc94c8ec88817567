"""The session tool itself: its checks of the book, and that it can fail.

Each chapter's sessions are run by tests/chapterNN/test_sessions.py; here
are the checks across chapters (no stray transcript, no console output typed
into a chapter, every transcript shown) and the tool's own behaviour: the
session files refused with a reason, the fixed environment, the ports
translated, the named normalisation rules, sessions on the network
playground skipped where it cannot run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tools import booklint, paths
from tools.sessions import cli, compare, manifest, network
from tools.sessions.normalise import Pattern, normalise

SESSIONS = manifest.load_all()


def test_every_file_under_book_transcripts_comes_from_a_session():
    assert compare.stale_files(SESSIONS) == [], "delete them, or run `make transcripts`"


def generated(sessions=SESSIONS):
    return [p for s in sessions for p in s.files()]


def test_the_chapters_show_no_console_output_typed_by_hand():
    problems = booklint.typed_sessions(
        booklint.pages(), generated(), "book/sessions/chapterNN.toml"
    )
    assert not problems, "\n".join(problems)


def test_every_transcript_is_shown_in_a_chapter():
    unused = [paths.shown(p) for p in booklint.unused(booklint.pages(), generated())]
    assert not unused, (
        "generated but included by no chapter (add a {literalinclude}, or drop the"
        " session from its session file):\n" + "\n".join(unused)
    )


# -- the machinery can fail ---------------------------------------------------

#: A rule a session file could define, for the tests below.
DEFINED = (Pattern("pid", r"pid \d+", "pid 4242"),)


def session(**fields) -> manifest.Session:
    entry = {"id": "demo", "commands": "python3 -c 'print(42)'", **fields}
    return manifest.parse("chapter01", entry, DEFINED)


def test_a_changed_word_fails_with_a_diff_and_the_command_that_regenerates(
    sessions_runner, tmp_path, monkeypatch
):
    monkeypatch.setattr(paths, "TRANSCRIPTS", tmp_path)
    demo = session(commands="python3 -c 'print(\"hello, wire\")'")
    demo.path.parent.mkdir(parents=True)
    demo.path.write_text("$ python3 -c 'print(\"hello, wire\")'\nhello, world\n")
    result = sessions_runner.run(demo)
    assert result.problems == []
    assert result.transcript == "$ python3 -c 'print(\"hello, wire\")'\nhello, wire\n"
    [diff] = compare.differences(result)
    assert "-hello, world\n+hello, wire\n" in diff
    assert "make transcripts" in compare.report(result, [diff])
    demo.path.write_text(result.transcript)
    assert compare.differences(result) == []


def test_an_unexpected_exit_status_is_a_failure_that_shows_the_output(sessions_runner):
    result = sessions_runner.run(
        session(commands="python3 -c 'import sys; sys.exit(\"oops\")'")
    )
    [problem] = result.problems
    assert "exited with status 1, the session file expects 0" in problem
    assert "oops" in problem


def test_stdout_and_stderr_interleave_as_on_a_terminal(sessions_runner):
    code = "import sys; print('one'); print('two', file=sys.stderr); print('three')"
    result = sessions_runner.run(
        session(commands=[f'python3 -c "{code}"', "python3 -c 'pass'"])
    )
    assert result.transcript.splitlines()[1:] == [
        "one",
        "two",
        "three",
        "$ python3 -c 'pass'",
    ]


def test_a_command_runs_in_the_fixed_environment(sessions_runner):
    code = (
        "import os, sys; print(os.environ['LC_ALL'], os.environ['COLUMNS'],"
        " os.environ['TZ'], sys.flags.no_user_site, os.listdir(os.environ['HOME']))"
    )
    result = sessions_runner.run(session(commands=f'python3 -c "{code}"'))
    assert result.transcript.splitlines()[1] == "C.UTF-8 80 UTC 1 []"


def test_a_session_that_leaves_loopback_fails(sessions_runner):
    code = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"
    result = sessions_runner.run(session(commands=f'python3 -c "{code}"', status=1))
    assert any("beyond loopback" in p and "192.0.2.1" in p for p in result.problems)


def test_the_reader_s_ports_are_translated_both_ways(sessions_runner):
    command = (
        "python3 -c 'import sys; print(sys.argv[1])' https://127.0.0.1:8443/search"
    )
    argv = sessions_runner.real_argv(command)
    real_port = sessions_runner.playground.https_url.rsplit(":", 1)[1]
    assert argv[-1] == f"https://127.0.0.1:{real_port}/search"
    result = sessions_runner.run(session(commands=command))
    assert result.transcript.splitlines()[1] == "https://127.0.0.1:8443/search"


def test_the_geocoder_service_sets_the_reader_s_environment(sessions_runner):
    code = "import os; print(os.environ['GEOCODER_URL'], 'SSL_CERT_FILE' in os.environ)"
    trusted = sessions_runner.run(
        session(commands=f'python3 -c "{code}"', services="geocoder")
    )
    assert trusted.transcript.splitlines()[1] == "https://127.0.0.1:8443 True"
    untrusted = sessions_runner.run(
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
    assert normalise(raw, {}, ["whoami-port", "tracepath-rtt"]) == (
        "$ python -m playground.net exec h1 -- curl -s URL\n198.51.100.2 50001\n"
        "$ python -m playground.net exec h4 -- curl -s URL\n198.51.100.6 50002\n"
        " 1:  192.168.1.1                                           0.100ms \n"
        " 2:  198.51.100.5                                          0.100ms pmtu 1492\n"
        "     Resume: pmtu 1492 hops 5 back 5 \n"
    )
    # Client ports already known come first; the whoami port takes the next.
    assert normalise(
        "127.0.0.1 40000\n", {41234: 8443, 51515: 50001}, ["whoami-port"]
    ) == ("127.0.0.1 50002\n")


def test_normalise_touches_only_ports_dates_and_line_ends():
    ports = {41234: 8443, 51515: 50001}
    raw = (
        "HTTP/1.1 200 OK\r\nDate: Tue, 24 Nov 2026 07:01:02 GMT\r\n\r\n"
        '{"lat":"41.41234","id":412345,"port":41234} from 127.0.0.1:51515\n'
    )
    assert normalise(raw, ports, ["http-date"]) == (
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
        (
            {"normalise": "no-such-rule"},
            "normalise names rules: address-port, http-date, pid,",
        ),
        ({"normalise": "ports"}, "line-ends and ports always apply"),
        ({"timeout": 0}, "timeout must be a positive number"),
    ],
)
def test_a_wrong_manifest_entry_is_refused_with_its_reason(fields, message):
    with pytest.raises(manifest.ManifestError, match=message):
        session(**fields)


# -- sessions on the network playground ---------------------------------------


@pytest.mark.skipif(
    network.support() != "", reason="needs root and Linux network namespaces"
)
def test_a_network_left_by_a_killed_run_is_cleared_by_the_next(tmp_path):
    child = subprocess.Popen(["true"])  # ends at once: its process id is gone
    child.wait()
    dead = child.pid
    for name in ("h1", "www"):
        subprocess.run(
            ["ip", "netns", "add", f"{network.net_prefix(dead)}{name}"], check=True
        )
    (Path("/etc/netns") / f"{network.net_prefix(dead)}h1").mkdir(parents=True)
    assert network.clear_abandoned_networks() == [dead]
    left = [
        n
        for folder in (Path("/run/netns"), Path("/etc/netns"))
        if folder.is_dir()
        for n in os.listdir(folder)
        if n.startswith(network.net_prefix(dead))
    ]
    assert left == []


def test_a_host_session_shows_how_the_reader_runs_it_on_that_host():
    demo = session(host=["h1", "h4"], commands=["hostname -I", "tracepath -n x"])
    assert demo.on_network and not session().on_network
    assert demo.prompts() == [
        "python -m playground.net exec h1 -- hostname -I",
        "python -m playground.net exec h4 -- tracepath -n x",
    ]
    assert (demo.prompt, session().prompt) == ("#", "$")


def test_without_namespaces_host_sessions_are_skipped_and_files_kept(
    sessions_runner, monkeypatch
):
    why = "network namespaces need root: run it with sudo (sudo make playground-up)"
    monkeypatch.setattr(sessions_runner, "network_support", why)
    [tracepath] = [s for s in SESSIONS if s.id == "tracepath-h4"]
    result = sessions_runner.run(tracepath)
    assert (result.skipped, result.problems, result.transcript) == (why, [], "")
    # Locally run sessions do not care.
    assert sessions_runner.run(session()).transcript == "$ python3 -c 'print(42)'\n42\n"


def test_a_host_session_whose_program_is_missing_is_skipped(
    sessions_runner, monkeypatch
):
    monkeypatch.setattr(sessions_runner, "network_support", "")
    result = sessions_runner.run(
        session(host="h2", commands="no-such-program-here --help")
    )
    assert result.skipped == (
        "no-such-program-here is not installed (make system-deps installs it)"
    )


def test_make_transcripts_skips_them_in_one_line(monkeypatch, capsys):
    why = "this system has no Linux network namespaces (the playground needs them)"
    monkeypatch.setattr(network, "support", lambda: why)
    before = (paths.TRANSCRIPTS / "chapter01" / "tracepath-h4.txt").read_bytes()
    assert cli.main(["tracepath-h4", "nat-whoami"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "skipped 2 session(s) on the network playground (nat-whoami, tracepath-h4):"
        f" {why}"
    )
    assert out[1].startswith("0 transcripts and 0 wire captures regenerated in")
    assert (paths.TRANSCRIPTS / "chapter01" / "tracepath-h4.txt").read_bytes() == before


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
    monkeypatch.setattr(paths, "BOOK", tmp_path)
    monkeypatch.setattr(paths, "TRANSCRIPTS", tmp_path / "transcripts")
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER)
    problems = booklint.typed_sessions([chapter], generated(), "SESSION FILE")
    lines = sorted(int(p.split(":")[1]) for p in problems)
    assert lines == [3, 12, 16, 21, 34], problems
    assert "made-up.txt" in problems[-1] and "no session" in problems[-1]
    unused = booklint.unused([chapter], generated())
    assert tmp_path / "transcripts" / "chapter01" / "search2.txt" not in unused
    assert tmp_path / "transcripts" / "chapter01" / "subnets-info.txt" in unused


def test_the_tool_s_own_examples_hold():
    import doctest

    from tools.sessions import normalise as rules

    for module in (rules, network, paths):
        assert doctest.testmod(module).failed == 0, module.__name__


# -- the named normalisation rules --------------------------------------------


def test_a_session_gets_only_the_rules_it_names(sessions_runner):
    code = "print('Date: Tue, 24 Nov 2026 07:01:02 GMT'); print('pid 31337')"
    command = f'python3 -c "{code}"'
    plain = sessions_runner.run(session(commands=command))
    assert plain.transcript.splitlines()[1:] == [
        "Date: Tue, 24 Nov 2026 07:01:02 GMT",
        "pid 31337",
    ]
    chosen = sessions_runner.run(
        session(commands=command, normalise=["http-date", "pid"])
    )
    assert chosen.transcript.splitlines()[1:] == [
        "Date: Thu, 01 Jan 2026 12:00:00 GMT",
        "pid 4242",
    ]


def test_a_session_file_defines_rules_of_its_own(tmp_path):
    path = tmp_path / "chapter01.toml"
    path.write_text(
        "[rules.pid]\npattern = 'pid \\d+'\nreplacement = 'pid 1'\n\n"
        "[[session]]\nid = 'a'\ncommands = 'true'\nnormalise = 'pid'\n\n"
        "[[session]]\nid = 'b'\ncommands = 'true'\n"
    )
    first, second = manifest.load("chapter01", path)
    assert first.normalise == ("pid",) and [p.name for p in first.patterns] == ["pid"]
    assert second.normalise == () and second.patterns == ()
    assert normalise("pid 99\n", {}, first.normalise, first.rules()) == "pid 1\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.http-date]\npattern = 'x'\nreplacement = 'y'\n", "is built in"),
        ("[rules.x]\npattern = 'x'\n", "needs a pattern and a replacement"),
        ("[rules.x]\npattern = '('\nreplacement = 'y'\n", r"\[rules\.x\]: missing"),
        ("[defaults]\nx = 1\n", "only \\[\\[session\\]\\] and"),
        ("[[session]]\nid = 'a'\ncommands = 'true'\n" * 2, "two sessions"),
    ],
)
def test_a_wrong_session_file_is_refused_with_its_reason(tmp_path, text, message):
    path = tmp_path / "chapter01.toml"
    path.write_text(text)
    with pytest.raises(manifest.ManifestError, match=message):
        manifest.load("chapter01", path)


def test_a_session_file_for_a_chapter_not_in_the_registry_is_refused(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(paths, "SESSIONS", tmp_path)
    (tmp_path / "chapter42.toml").write_text("")
    with pytest.raises(manifest.ManifestError, match="no chapter chapter42 in"):
        manifest.session_files()


# -- sessions with servers -----------------------------------------------------

PROGRAMS = Path(__file__).parent / "programs"
SERVER = {
    "name": "server",
    "command": "python3 listings/chapter01/udp_echo.py --port 4242",
    "ready": {"line": "^listening on"},
}


@pytest.fixture
def programs(tmp_path, monkeypatch):
    """The tests' UDP programs, as if they were chapter 1's listings."""
    listings = tmp_path / "listings"
    shutil.copytree(PROGRAMS, listings / "chapter01")
    monkeypatch.setattr(paths, "LISTINGS", listings)
    monkeypatch.setattr(paths, "TRANSCRIPTS", tmp_path / "transcripts")
    return listings / "chapter01"


def test_a_server_s_terminal_follows_the_clients_with_its_ctrl_c(
    sessions_runner, programs
):
    demo = session(
        commands=[
            "python3 listings/chapter01/udp_ask.py 127.0.0.1 4242 one",
            "python3 listings/chapter01/udp_ask.py 127.0.0.1 4242 two",
        ],
        servers=[SERVER],
        ports=[4242],
        normalise="address-port",
    )
    result = sessions_runner.run(demo)
    assert result.problems == []
    assert result.transcript == (
        "$ python3 listings/chapter01/udp_ask.py 127.0.0.1 4242 one\n"
        "'ONE' from port 4242 to port 50001\n"
        "$ python3 listings/chapter01/udp_ask.py 127.0.0.1 4242 two\n"
        "'TWO' from port 4242 to port 50002\n"
        "$ python3 listings/chapter01/udp_echo.py --port 4242\n"
        "starting\n"
        "listening on 0.0.0.0 port 4242\n"
        "'one' from 127.0.0.1 port 50001\n"
        "'two' from 127.0.0.1 port 50002\n"
        "^C\n"
        "stopped\n"
    )


def test_a_server_shown_in_a_file_of_its_own(sessions_runner, programs):
    demo = session(
        commands="python3 listings/chapter01/udp_ask.py 127.0.0.1 4242",
        servers=[{**SERVER, "shown": "file"}],
        ports=[4242],
        normalise="address-port",
    )
    assert [p.name for p in demo.files()] == ["demo.txt", "demo-server.txt"]
    result = sessions_runner.run(demo)
    assert result.problems == []
    assert result.transcript.count("$ ") == 1
    server = result.outputs()[demo.server_path(demo.servers[0])]
    assert server.startswith("$ python3 listings/chapter01/udp_echo.py --port 4242\n")
    assert server.endswith("'hello' from 127.0.0.1 port 50001\n^C\nstopped\n")


def test_killing_the_server_mid_session_fails_at_once_naming_it(
    sessions_runner, programs
):
    killer = (
        "import os, signal, time; os.kill(int(open('server.pid').read()), 9);"
        " time.sleep(60)"
    )
    demo = session(
        commands=f'python3 -c "{killer}"',
        servers=[{**SERVER, "command": SERVER["command"] + " --pidfile server.pid"}],
        ports=[4242],
        timeout=60,
    )
    started = time.monotonic()
    result = sessions_runner.run(demo)
    assert time.monotonic() - started < 20  # well within the command's 60 s
    [problem] = result.problems
    assert problem.startswith("server ended (status -9) while `python3 -c")
    assert "listening on 0.0.0.0 port" in problem
    assert "the session failed" in compare.report(result)


def test_a_server_with_until_is_stopped_before_the_commands_after_it(
    sessions_runner, programs
):
    # Stopped after the first command: the second finds nothing on the port
    # (a UDP question unanswered: udp_ask.py gives up), and no problem.
    demo = session(
        commands=[
            "python3 listings/chapter01/udp_ask.py 127.0.0.1 4242 one",
            "python3 listings/chapter01/udp_ask.py 127.0.0.1 4242 two --timeout 0.5",
        ],
        status=[0, 1],
        servers=[{**SERVER, "until": 1}],
        ports=[4242],
        normalise="address-port",
    )
    result = sessions_runner.run(demo)
    assert result.problems == []
    commands, server = result.transcript.split("$ python3 listings/chapter01/udp_echo")
    assert "'ONE' from port 4242" in commands and "TWO" not in commands
    assert server.endswith("'one' from 127.0.0.1 port 50001\n^C\nstopped\n")


def test_a_server_that_is_never_ready_fails_the_session_without_its_clients(
    sessions_runner, programs
):
    demo = session(
        commands="python3 listings/chapter01/udp_ask.py 127.0.0.1 4242",
        servers=[{**SERVER, "ready": {"line": "^never$", "timeout": 1}}],
        ports=[4242],
    )
    result = sessions_runner.run(demo)
    assert result.problems[0].startswith("server was not ready after 1 s")
    assert "udp_ask" not in result.transcript  # no client ran
    assert result.transcript.startswith("$ python3 listings/chapter01/udp_echo.py")


def test_a_server_that_does_not_exit_as_expected_after_ctrl_c_fails(
    sessions_runner, programs
):
    demo = session(
        commands="python3 listings/chapter01/udp_ask.py 127.0.0.1 4242",
        servers=[{**SERVER, "status": 130}],
        ports=[4242],
    )
    [problem] = sessions_runner.run(demo).problems
    assert problem.startswith(
        "server exited with status 0 after Ctrl-C, the session file expects 130"
    )


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"command": "x"}, "name must be"),
        ({"name": "s", "command": "x", "ready": {}}, "a line or a port"),
        ({"name": "s", "command": "x", "ready": 3}, "ready must be a table"),
        ({"name": "s", "command": "x", "ready": {"line": "("}}, "ready's line"),
        ({"name": "s", "command": "", "ready": {"port": 1}}, "command must be"),
        ({**SERVER, "shown": "before"}, "shown must be one of after, file"),
        ({**SERVER, "host": "h9"}, "host must be a host"),
        ({**SERVER, "colour": 1}, r"unknown field\(s\) colour"),
        ({**SERVER, "host": "www"}, "either every command and server has a host"),
        ({**SERVER, "until": "1"}, "until must be a number of commands"),
        ({**SERVER, "until": 1}, "until must be a number of commands, from 1"),
    ],
)
def test_a_wrong_server_entry_is_refused_with_its_reason(server, message):
    with pytest.raises(manifest.ManifestError, match=message):
        session(servers=[server])


def test_ports_are_for_loopback_sessions():
    with pytest.raises(manifest.ManifestError, match="ports are for loopback"):
        session(host="h1", ports=[4242])
    with pytest.raises(manifest.ManifestError, match="ports must be a list"):
        session(ports=[70000])


def test_a_network_session_runs_its_server_on_a_host_behind_the_clients_nat(
    sessions_runner, programs
):
    if network.support():
        pytest.skip(f"the network playground cannot run here: {network.support()}")
    demo = session(
        host="h1",
        commands="python3 listings/chapter01/udp_ask.py 203.0.113.80 4242",
        servers=[{**SERVER, "host": "www"}],
        normalise="address-port",
    )
    assert demo.on_network and demo.prompt == "#"
    result = sessions_runner.run(demo)
    assert result.problems == []
    lines = result.transcript.splitlines()
    assert lines[0] == (
        "# python -m playground.net exec h1 --"
        " python3 listings/chapter01/udp_ask.py 203.0.113.80 4242"
    )
    assert lines[1] == "'HELLO' from port 4242 to port 50001"
    assert lines[2] == (
        "# python -m playground.net exec www --"
        " python3 listings/chapter01/udp_echo.py --port 4242"
    )
    # www sees home A's modem, not h1's private address.
    assert "'hello' from 198.51.100.2 port 50001" in lines


def test_a_tcp_server_is_awaited_on_the_free_port_behind_the_reader_s(
    sessions_runner, programs
):
    client = (
        "import socket; c = socket.create_connection(('127.0.0.1', 1060));"
        " c.sendall(b'hi'); print(c.recv(9).decode())"
    )
    demo = session(
        commands=f'python3 -c "{client}"',
        servers=[
            {
                "name": "echo",
                "command": "python3 listings/chapter01/tcp_echo.py --port 1060",
                "ready": {"port": 1060, "timeout": 5},
            }
        ],
        ports=[1060],
    )
    result = sessions_runner.run(demo)
    assert result.problems == []
    assert result.transcript.splitlines()[1:] == [
        "HI",
        "$ python3 listings/chapter01/tcp_echo.py --port 1060",
        "2 bytes",  # and no 0 bytes: waiting for the port made no connection
        "^C",
        "stopped",
    ]
