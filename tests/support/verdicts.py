"""Verdicts kept between runs, for checks whose every input is a file.

A browser check of a built page depends on files and nothing else: the bytes
of each file the page loads (its HTML, style sheets, scripts, images), the
code of the check, axe-core's script, and the browser's version. When such a
check passes, :meth:`Verdicts.keep` writes down a digest of each of them (in
``build/verdicts/``, one small JSON file per check). On a later run,
:meth:`Verdicts.unchanged` says whether every one of those files still has
the same bytes: if so, the check would look at exactly what it looked at
before, and the test passes without opening the browser. A changed byte in
any of them, an edited test, another Chromium, and the check runs again.

Only passes are kept, never failures. ``make test FRESH=1`` (which sets
``BOOK_FRESH=1``) runs every check and keeps nothing old; a clean checkout,
CI's, has no records to start from.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from tools import paths

FOLDER = paths.ROOT / "build" / "verdicts"


def digest(path: Path) -> str:
    """SHA-256 of the file's bytes, or ``"absent"``."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "absent"


def fresh() -> bool:
    """Whether this run must ignore every kept verdict (``BOOK_FRESH=1``)."""
    return os.environ.get("BOOK_FRESH", "") not in ("", "0")


class Verdicts:
    """Kept passes of checks of the files under *roots* (a name for each
    folder, ``{"site": ..., "repo": ...}``: records name a file by its
    folder's name and its path there, so they hold wherever the folders are).

    *basis* names what every check depends on besides those files (the
    test's code, axe-core, the browser's version), each with a digest; a
    record made on another basis never counts.
    """

    def __init__(
        self, roots: Mapping[str, Path], basis: Mapping[str, str], folder: Path = FOLDER
    ) -> None:
        self.roots = {name: root.resolve() for name, root in roots.items()}
        self.basis = dict(basis)
        self.folder = folder

    def _name(self, file: Path) -> str:
        file = file.resolve()
        for name, root in self.roots.items():
            if file.is_relative_to(root):
                return f"{name}/{file.relative_to(root).as_posix()}"
        raise ValueError(f"{file} is under none of {sorted(self.roots)}")

    def _path(self, name: str) -> Path | None:
        root, _, rest = name.partition("/")
        return self.roots[root] / rest if root in self.roots else None

    def _record(self, check: str) -> Path:
        name = hashlib.sha256(check.encode()).hexdigest()[:24]
        return self.folder / f"{name}.json"

    def unchanged(self, check: str) -> bool:
        """Whether *check* passed before on this basis, with every file it
        read then holding the same bytes now."""
        if fresh():
            return False
        try:
            kept = json.loads(self._record(check).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if kept.get("check") != check or kept.get("basis") != self.basis:
            return False
        files = kept.get("files")
        if not files:
            return False
        for name, value in files.items():
            path = self._path(name)
            if path is None or digest(path) != value:
                return False
        return True

    def keep(self, check: str, files: Iterable[Path]) -> None:
        """Write down that *check* passed, having read *files* (each under
        one of the roots); written whole or not at all, so parallel workers
        never read half a record."""
        named = {self._name(f): f for f in files}
        record = {
            "check": check,
            "basis": self.basis,
            "files": {n: digest(named[n]) for n in sorted(named)},
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._record(check)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(record, indent=1), encoding="utf-8")
        partial.replace(target)
