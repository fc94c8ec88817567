"""Recording the exact bytes of each request, as it arrived on the wire.

The chapter shows the same request made four ways; the playground keeps what
each one actually sent (request line and headers, byte for byte) so the book
can print them side by side.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Exchange:
    """One request as received, and the client address it came from."""

    client: str
    port: int
    raw: bytes
    when: float

    def text(self) -> str:
        """The request head as text (HTTP heads are ISO-8859-1)."""
        return self.raw.decode("iso-8859-1")


class Recorder:
    """A bounded, thread-safe log of recent requests."""

    def __init__(self, size: int = 200) -> None:
        self._log: deque[Exchange] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, client: str, port: int, raw: bytes) -> None:
        with self._lock:
            self._log.append(Exchange(client, port, raw, time.time()))

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        with self._lock:
            self._log.clear()


class TeeReader:
    """Wrap a socket's read file, keeping a copy of every line read from it."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self.seen = bytearray()

    def readline(self, size: int = -1) -> bytes:
        line = self._raw.readline(size)
        if len(self.seen) < self._limit:
            self.seen += line[: self._limit - len(self.seen)]
        return line

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def close(self) -> None:
        self._raw.close()
