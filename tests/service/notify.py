"""A stand-in for systemd's end of the notify socket: binds a datagram socket and records what arrives."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


class NotifyReceiver:
    """Binds ``address`` (a path, or ``@name`` for the abstract namespace), as ``NOTIFY_SOCKET`` names it."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.datagrams: list[bytes] = []
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind("\0" + address[1:] if address.startswith("@") else address)
        self._socket.settimeout(0.05)

    def receive(self) -> list[bytes]:
        """Everything that arrived so far (also kept in ``datagrams``)."""
        new = []
        while True:
            try:
                new.append(self._socket.recv(65536))
            except (TimeoutError, BlockingIOError):
                break
        self.datagrams.extend(new)
        return new

    def lines(self) -> list[str]:
        """Every ``KEY=value`` line received, in order."""
        self.receive()
        return [line for d in self.datagrams for line in d.decode("utf-8", "replace").split("\n")]

    def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = 15.0, what: str = "message") -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.lines()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not received within {timeout:g} s; got {self.lines()[-20:]!r}")

    def close(self) -> None:
        self._socket.close()
