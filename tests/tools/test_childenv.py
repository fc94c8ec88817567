"""tools/childenv.py: what child processes inherit besides their environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools.paths import ROOT

# A parent that arrived with SIGINT ignored (a script's background job) and
# starts a Python child, which reports what its SIGINT does.
PARENT = """
import signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
if sys.argv[1] == "restore":
    from tools.childenv import default_interrupts
    default_interrupts()
child = "import signal; print(repr(signal.getsignal(signal.SIGINT)))"
print(subprocess.run([sys.executable, "-c", child], capture_output=True,
                     text=True, check=True).stdout.strip())
"""


@pytest.mark.parametrize(
    ("mode", "child"), [("as-is", "SIG_IGN"), ("restore", "default_int_handler")]
)
def test_ctrl_c_reaches_children_of_a_parent_that_arrived_deaf(
    mode: str, child: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PARENT, mode],
        capture_output=True, text=True, cwd=ROOT, check=True, timeout=60,
    )  # fmt: skip
    assert child in done.stdout


def test_the_suite_itself_hears_ctrl_c() -> None:
    import signal

    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
