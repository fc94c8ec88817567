"""Running a listing as a reader runs it: a separate process, guarded."""

from __future__ import annotations

import subprocess
import sys

from playground.services import Playground
from tools import childenv, paths


def listing_env(playground: Playground | None = None, **extra: str) -> dict[str, str]:
    """The environment a listing runs in under test: guarded, UTF-8, and
    trusting the playground's CA when a playground is given."""
    if playground is not None:
        env = childenv.guarded(playground.child_env())
    else:
        env = childenv.guarded()
        for name in ("GEOCODER_URL", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            env.pop(name, None)
    env.pop("GEOCODER_AGENT", None)  # the listings' own agents, unless set below
    env.update(extra)
    return env


def run_listing(
    name: str,
    *args: str,
    playground: Playground | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``listings/NAME`` (for example ``chapter01/search2.py``) as a reader
    would, in a separate process, and return its exit status and output."""
    return subprocess.run(
        [sys.executable, str(paths.LISTINGS / name), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env if env is not None else listing_env(playground),
        timeout=timeout,
        cwd=paths.ROOT,
    )
