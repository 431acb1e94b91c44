"""Messages between ``entropy-ref verify --fn`` and the child process running the port: each a
pickled object behind its 8-byte length, on a pipe of their own (the port keeps stdout/stderr).

Only the kit's own child writes to this pipe; what it sends are the kit's results (reports, case
and property results, descriptions of calls).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import time

HEADER = struct.Struct(">Q")
#: what :meth:`Reader.next` returns when the deadline passed, or the pipe was closed
TIMEOUT, EOF = "timeout", "eof"


def send(fd: int, message) -> None:
    """Write one message (blocking until all of it is written)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


class Reader:
    """Reads messages from ``fd`` one at a time, each with a deadline."""

    def __init__(self, fd: int):
        self.fd, self.buf = fd, bytearray()

    def _parse(self):
        if len(self.buf) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self.buf)
        if len(self.buf) < HEADER.size + size:
            return None
        data = bytes(self.buf[HEADER.size:HEADER.size + size])
        del self.buf[:HEADER.size + size]
        return pickle.loads(data)  # noqa: S301 - the kit's own child process wrote it

    def next(self, deadline: float | None):
        """The next message; :data:`TIMEOUT` once ``time.monotonic()`` passes ``deadline`` (None:
        wait as long as it takes), :data:`EOF` when the writer closed the pipe (or died)."""
        while True:
            message = self._parse()
            if message is not None:
                return message
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                return TIMEOUT
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return EOF
            self.buf += chunk
