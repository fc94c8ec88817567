"""stringcodes.py: UTF-16 bytes in, text in the middle, UTF-8 bytes out."""

import subprocess
import sys

from listings.chapter01 import stringcodes
from tests.conftest import ROOT, listing_env, run_listing

TEXT = "Zürich \u2192 Köln\n"
UTF8 = b"Z\xc3\xbcrich \xe2\x86\x92 K\xc3\xb6ln\n"


def test_the_incoming_bytes_are_utf16_with_a_little_endian_bom():
    assert stringcodes.INCOMING[:2] == b"\xff\xfe"
    assert stringcodes.INCOMING.decode("utf-16-le")[1:] == TEXT
    assert TEXT.encode("utf-8") == UTF8


def test_writes_exactly_the_utf8_bytes(tmp_path):
    out = tmp_path / "place.txt"
    result = run_listing("chapter01/stringcodes.py", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert out.read_bytes() == UTF8
    assert result.stdout.splitlines() == [
        (
            "received 30 bytes: b'\\xff\\xfeZ\\x00\\xfc\\x00r\\x00i\\x00c\\x00h\\x00"
            " \\x00\\x92! \\x00K\\x00\\xf6\\x00l\\x00n\\x00\\n\\x00'"
        ),
        "decoded 14 characters: 'Zürich → Köln\\n'",
        f"wrote 18 bytes to {out}: b'Z\\xc3\\xbcrich \\xe2\\x86\\x92 K\\xc3\\xb6ln\\n'",
    ]


def test_overwrites_an_existing_file(tmp_path):
    out = tmp_path / "place.txt"
    out.write_bytes(b"old contents that are longer than the new ones\n")
    assert run_listing("chapter01/stringcodes.py", str(out)).returncode == 0
    assert out.read_bytes() == UTF8


def test_runs_as_a_module_from_the_repository_root(tmp_path):
    out = tmp_path / "m.txt"
    result = subprocess.run(
        [sys.executable, "-m", "listings.chapter01.stringcodes", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=listing_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == UTF8


def test_an_unwritable_path_gives_one_line_and_status_1(tmp_path):
    out = tmp_path / "missing-folder" / "place.txt"
    result = run_listing("chapter01/stringcodes.py", str(out))
    assert result.returncode == 1
    assert result.stderr == (
        f"stringcodes: cannot write {out}: No such file or directory\n"
    )
    assert not out.exists()


def test_a_directory_is_not_a_file(tmp_path):
    result = run_listing("chapter01/stringcodes.py", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"stringcodes: cannot write {tmp_path}: Is a directory\n"


def test_the_output_path_is_required():
    result = run_listing("chapter01/stringcodes.py")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "stringcodes.py: error: the following arguments are required: output"
    )


def test_help():
    result = run_listing("chapter01/stringcodes.py", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: stringcodes.py [-h] output")
    assert "the file to write the UTF-8 bytes to" in result.stdout
