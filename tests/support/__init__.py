"""Helpers the tests share (the machinery never imports these).

:mod:`tests.support.listings` runs a listing as a reader would;
:mod:`tests.support.guard` is the network guard loaded into the test process.
The guard itself lives in ``tools/netguard/`` because the session tool puts
it on its children's ``PYTHONPATH`` too.
"""
