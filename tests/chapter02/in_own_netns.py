"""Run inside a fresh network namespace (``unshare --net``) by test_pmtu.py.

Brings the namespace's own loopback up with the MTU given as the first
argument (no other namespace sees it), starts whoami_server.py on a free
port, runs pmtu.py once for each remaining argument (a string of options,
split on spaces, with ``--port`` added), stops the server with SIGINT and
prints a JSON list of [status, stdout, stderr] for the runs."""

from __future__ import annotations

import json
import subprocess
import sys

from tools.harness import Harness, Ready
from tools.paths import LISTINGS


def main() -> None:
    mtu, *runs = sys.argv[1:]
    subprocess.run(["ip", "link", "set", "lo", "mtu", mtu, "up"], check=True)
    results = []
    with Harness(stop_bounds=(60, 5, 5)) as harness:
        server = harness.start(
            "whoami_server.py",
            [
                sys.executable,
                str(LISTINGS / "chapter02/whoami_server.py"),
                "--port",
                "0",
            ],
            ready=Ready(line=r"\n", timeout=60),
        )
        port = server.output.split(" port ")[1].split()[0]
        for options in runs:
            pmtu = [sys.executable, str(LISTINGS / "chapter02/pmtu.py"), "--port", port]
            done = harness.run([*pmtu, *options.split()], timeout=60, stderr="apart")
            results.append([done.status, done.output, done.errors])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
