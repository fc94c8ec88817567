"""Regenerate and verify every console session the book shows.

``make transcripts`` runs ``python -m tools.sessions`` (see
:mod:`tools.sessions.cli`); the tests do what ``--check`` does, one test per
session (``tests/chapterNN/test_sessions.py``), and check that the chapters
show no console output typed by hand (``tests/tools/test_sessions.py``).

Each chapter lists its sessions in ``book/sessions/chapterNN.toml``
(CONTRIBUTING.md, "Session files", describes the fields). A session becomes
``book/transcripts/chapterNN/ID.txt``: every command as a prompt line,
``$ COMMAND`` (``# COMMAND`` on the network playground, which needs a root
shell), followed by what the terminal showed (standard output and standard
error merged in one pipe, so they interleave as on a terminal), then each
server's terminal (its prompt line, its output, the ``^C`` that stopped it).
With ``wire = true`` it also becomes ``wire-ID.txt``: the head of each
request the playground received while the session ran, byte for byte as it
arrived, except that the CR LF ending each line is written as a plain line
end.

The parts, one job each:

- :mod:`tools.sessions.manifest`: the session files, read and checked;
- :mod:`tools.sessions.runner`: running a session (scratch checkout,
  environment, playground, ports), its processes through the process
  harness, :mod:`tools.harness`;
- :mod:`tools.sessions.network`: the network playground of a run's own;
- :mod:`tools.sessions.normalise`: the named rules that fix what varies;
- :mod:`tools.sessions.compare`: diffs against the committed files, reports;
- :mod:`tools.sessions.cli`: the command line.

The environment comes from :mod:`tools.childenv`, the chapters from
:mod:`tools.chapters`, the chapters' blocks from :mod:`tools.booklint`.
"""
