"""The command line: ``python -m tools.sessions`` (``make transcripts``).

python -m tools.sessions              run every session, write the files
python -m tools.sessions --check      run them, compare, write nothing
python -m tools.sessions ID [ID ...]  only these sessions (ID or CHAPTER/ID)
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Sequence

from tools import chapters, childenv, paths
from tools.sessions import manifest
from tools.sessions.compare import differences, report, stale_files
from tools.sessions.manifest import ManifestError, Session
from tools.sessions.runner import Runner


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sessions",
        description="Regenerate (or, with --check, verify) the console sessions"
        " the book shows (book/sessions/chapterNN.toml).",
    )
    parser.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help="only these sessions (ID or CHAPTER/ID; default: all)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the committed files and write nothing",
    )
    args = parser.parse_args(argv)
    childenv.default_interrupts()  # the sessions stop servers with Ctrl-C
    started = time.monotonic()
    try:
        sessions = manifest.load_all()
    except (
        OSError,
        tomllib.TOMLDecodeError,
        ManifestError,
        chapters.RegistryError,
    ) as exc:
        print(f"sessions: {exc}", file=sys.stderr)
        return 2
    if args.ids:
        wanted = set(args.ids)
        unknown = wanted - {s.id for s in sessions} - {s.name for s in sessions}
        if unknown:
            print(f"sessions: no session {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        sessions = [s for s in sessions if s.id in wanted or s.name in wanted]
    failed = changed = 0
    skipped: dict[str, list[Session]] = {}  # reason: sessions
    with Runner() as runner:
        for session in sessions:
            result = runner.run(session)
            if result.skipped:
                skipped.setdefault(result.skipped, []).append(session)
                continue
            diffs = differences(result)
            if result.problems or (args.check and diffs):
                failed += 1
                print(report(result, diffs if args.check else ()), file=sys.stderr)
                continue
            pictures = {} if args.check else result.as_made()
            for path, data in pictures.items():  # before the texts change
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                changed += 1
                print(f"wrote {paths.shown(path)}")
            for path, text in result.outputs().items():
                if not args.check and (
                    not path.exists() or path.read_text(encoding="utf-8") != text
                ):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8", newline="\n")
                    changed += 1
                    print(f"wrote {paths.shown(path)}")
    if not args.ids:
        for path in stale_files(manifest.load_all()):
            if args.check:
                failed += 1
                print(
                    f"{paths.shown(path)}: no session makes this file", file=sys.stderr
                )
            else:
                path.unlink()
                print(f"removed {paths.shown(path)} (no session makes it)")
    for reason, passed_over in skipped.items():
        names = ", ".join(s.id for s in passed_over)
        print(
            f"skipped {len(passed_over)} session(s) on the network playground"
            f" ({names}): {reason}"
        )
    ran = [s for s in sessions if not any(s in group for group in skipped.values())]
    wires = sum(s.wire for s in ran)
    summary = (
        f"{len(ran)} transcripts and {wires} wire captures"
        f" {'checked' if args.check else 'regenerated'} in"
        f" {time.monotonic() - started:.1f} s"
    ) + ("" if args.check else f"; {changed} file(s) changed")
    if failed:
        print(f"{summary}; {failed} failed", file=sys.stderr)
        return 1
    print(summary)
    return 0
