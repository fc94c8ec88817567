"""The network guard, loaded into the test process: the same module
(``tools/netguard/sitecustomize.py``) every guarded child process loads."""

from __future__ import annotations

import importlib.util

from tools import paths

_spec = importlib.util.spec_from_file_location(
    "netguard", paths.NETGUARD / "sitecustomize.py"
)
assert _spec and _spec.loader
netguard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(netguard)
