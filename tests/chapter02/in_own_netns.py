"""Run inside a fresh network namespace (``unshare --net``) by test_pmtu.py.

Brings the namespace's own loopback up with the MTU given as the first
argument (no other namespace sees it), starts whoami_server.py on a free
port, runs pmtu.py once for each remaining argument (a string of options,
split on spaces, with ``--port`` added), stops the server with SIGINT and
prints a JSON list of [status, stdout, stderr] for the runs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from tools.paths import LISTINGS


def main() -> None:
    mtu, *runs = sys.argv[1:]
    subprocess.run(["ip", "link", "set", "lo", "mtu", mtu, "up"], check=True)
    server = subprocess.Popen(
        [sys.executable, str(LISTINGS / "chapter02/whoami_server.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port = server.stdout.readline().split(" port ")[1].split()[0]
    results = []
    for options in runs:
        done = subprocess.run(
            [
                sys.executable,
                str(LISTINGS / "chapter02/pmtu.py"),
                "--port",
                port,
                *options.split(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        results.append([done.returncode, done.stdout, done.stderr])
    server.send_signal(signal.SIGINT)
    server.communicate(timeout=60)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
