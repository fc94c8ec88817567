"""``python -m tools.sessions``: see :mod:`tools.sessions.cli`."""

import signal
import sys

from tools.sessions.cli import main

# A terminated run still takes the network playground down (Runner.__exit__).
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
sys.exit(main())
