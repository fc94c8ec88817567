"""The one reader of the chapters' fenced blocks, and the checks built on it.

:func:`blocks` finds every code block and directive of a MyST file (nested
ones too); :func:`includes` every ``{literalinclude}`` with the file it
names, resolved as Sphinx resolves it. The includes test
(``tests/tools/test_booklint.py``) and the session tool's checks
(:func:`typed_sessions`, :func:`unused`) read the chapters through these,
so they can never disagree about what a chapter shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tools import paths

#: Languages whose blocks are terminal sessions or wire captures: a chapter
#: may show them only by including a generated file.
TRANSCRIPT_LANGUAGES = {
    "console",
    "shell-session",
    "sh-session",
    "shellsession",
    "terminal",
    "doscon",
    "ps1con",
    "pwsh-session",
    "powershell-session",
    "http",
}
#: Languages in which a ``$ `` prompt marks typed-in output (a ``# `` line in
#: them is a shell comment as often as a root prompt, so it does not count).
SHELL_LANGUAGES = {
    "",
    "bash",
    "sh",
    "shell",
    "zsh",
    "text",
    "none",
    "output",
    "default",
}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "code-cell"}
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*?)\s*$")
_PROMPT = re.compile(r"^\$ ")


@dataclass(frozen=True)
class Block:
    """A fenced block of a chapter: a code block or a directive."""

    file: Path
    line: int
    directive: str  # "" for a plain code fence
    argument: str  # the language of a code block, or the directive's argument
    options: tuple[tuple[str, str], ...]
    body: str  # "" for a container (a directive holding blocks of its own)
    container: bool = False

    @property
    def where(self) -> str:
        return f"{paths.shown(self.file)}:{self.line}"


def pages() -> list[Path]:
    """Every MyST page of the book."""
    return sorted(paths.BOOK.rglob("*.md"))


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a MyST file, in order: code blocks, includes and
    every other directive. A directive that is not a code block (an
    admonition, a figure, ``{graphviz}``...) is a container: its options are
    read, and the blocks nested in it are found too."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    containers: list[tuple[str, int]] = []  # open directive fences: (char, length)
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"]
        if (
            not info
            and containers
            and containers[-1][0] == fence[0]
            and len(fence) >= containers[-1][1]
        ):
            containers.pop()
            i += 1
            continue
        directive = _DIRECTIVE.match(info)
        name = directive["name"] if directive else ""
        argument = directive["arg"] if directive else info.split()[0] if info else ""
        if name and name not in CODE_DIRECTIVES and name != "literalinclude":
            containers.append((fence[0], len(fence)))
            found.append(
                Block(path, i + 1, name, argument, _options(lines[i + 1 :]), "", True)
            )
            i += 1
            continue
        start, i = i, i + 1
        body: list[str] = []
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if (
                close
                and not close["info"]
                and close["fence"][0] == fence[0]
                and len(close["fence"]) >= len(fence)
            ):
                break
            body.append(lines[i])
            i += 1
        i += 1
        found.append(
            Block(path, start + 1, name, argument, _options(body), "\n".join(body))
        )
    return found


def _options(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """The ``:name: value`` lines that open a directive's body."""
    options = []
    for line in lines:
        option = _OPTION.match(line)
        if not option:
            break
        options.append((option[1], option[2]))
    return tuple(options)


def included_file(block: Block) -> Path:
    """The file a literalinclude names, as Sphinx resolves it."""
    if block.argument.startswith("/"):
        return (paths.BOOK / block.argument.lstrip("/")).resolve()
    return (block.file.parent / block.argument).resolve()


def includes(files: Iterable[Path] | None = None) -> list[tuple[Block, Path]]:
    """Every literalinclude of *files* (default: every page) and its file."""
    return [
        (block, included_file(block))
        for page in (pages() if files is None else files)
        for block in blocks(page)
        if block.directive == "literalinclude"
    ]


def typed_sessions(
    files: Iterable[Path], generated: Iterable[Path], session_file: str
) -> list[str]:
    """Console output in *files* that is not one of the *generated* files:
    a console (or wire) block typed in, or an include of a transcript that no
    session makes. *session_file* names where sessions are declared, for the
    messages."""
    made = {p.resolve() for p in generated}
    transcripts = paths.TRANSCRIPTS.resolve()
    problems = []
    for chapter in files:
        for block in blocks(chapter):
            if block.container:
                continue
            options = dict(block.options)
            if block.directive == "literalinclude":
                target = included_file(block)
                language = options.get("language", "")
                is_transcript = (
                    language in TRANSCRIPT_LANGUAGES or transcripts in target.parents
                )
                if is_transcript and target not in made:
                    problems.append(
                        f"{block.where}: includes {block.argument}"
                        f" as {language or 'a transcript'}, but no session"
                        f" in {session_file} generates that file"
                    )
                continue
            language = (
                block.argument.lower()
                if block.directive in CODE_DIRECTIVES or not block.directive
                else ""
            )
            prompts = any(_PROMPT.match(line) for line in block.body.splitlines())
            if language in TRANSCRIPT_LANGUAGES or (
                language in SHELL_LANGUAGES and prompts
            ):
                problems.append(
                    f"{block.where}: a {language or 'plain'} block typed into the"
                    f" chapter; add the session to {session_file}, run"
                    " `make transcripts` and include the generated file (commands"
                    " to type go in a ```shell block without `$ ` prompts)"
                )
    return problems


#: The files a packet capture's directives show (book/_ext/captures.py),
#: by the suffix added to their argument.
CAPTURE_DIRECTIVES = {
    "capture": (".txt", ".pcap"),
    "ladder": (".msc", ".svg", ".pdf", ".ladder.txt"),
}


def shown_captures(files: Iterable[Path]) -> set[Path]:
    """The files that the ``{capture}`` and ``{ladder}`` directives of
    *files* show (a ladder's mscgen source with its drawing)."""
    return {
        (page.parent / f"{block.argument}{suffix}").resolve()
        for page in files
        for block in blocks(page)
        for suffix in CAPTURE_DIRECTIVES.get(block.directive, ())
    }


def included_transcripts(files: Iterable[Path]) -> set[Path]:
    """The files under book/transcripts that *files* include or show."""
    transcripts = paths.TRANSCRIPTS.resolve()
    files = list(files)
    included = {
        target for _, target in includes(files) if transcripts in target.parents
    }
    return included | {p for p in shown_captures(files) if transcripts in p.parents}


def unused(files: Iterable[Path], generated: Iterable[Path]) -> list[Path]:
    """The *generated* files that none of *files* includes."""
    included = included_transcripts(files)
    return [p for p in generated if p.resolve() not in included]
