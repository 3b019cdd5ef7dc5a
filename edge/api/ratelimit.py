"""Login attempt limits per user name and per client address (a sliding window kept in memory).

An attempt counts as a failure from the moment it starts (so a burst of parallel guesses is limited as
well as a sequence) and is taken back when it succeeds. Memory is bounded: at most ``max_keys`` names
and addresses are remembered, the least recently failed ones are forgotten first.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Attempt:
    """One login attempt in progress: give it back with :meth:`LoginLimiter.succeeded` when it succeeds."""

    user_key: str
    address_key: str
    at: float


class LoginLimiter:
    """At most ``max_per_user`` failures per user name and ``max_per_address`` per address per window."""

    def __init__(self, max_per_user: int, max_per_address: int, window_s: float, clock: Callable[[], float],
                 max_keys: int = 20_000) -> None:
        self.max_per_user = max_per_user
        self.max_per_address = max_per_address
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, username: str, address: str) -> Attempt | float:
        """Start an attempt (counted as a failure until it succeeds), or the seconds to wait when over a limit."""
        user_key, address_key = f"u:{username}", f"a:{address}"
        now = self.clock()
        with self._lock:
            wait = max(self._wait(user_key, self.max_per_user, now), self._wait(address_key, self.max_per_address, now))
            if wait > 0:
                return wait
            for key in (user_key, address_key):
                self._failures.setdefault(key, deque()).append(now)
                self._failures.move_to_end(key)
            self._forget_oldest()
        return Attempt(user_key, address_key, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt succeeded: it is no failure, and the user name's earlier failures are forgotten."""
        with self._lock:
            self._failures.pop(attempt.user_key, None)
            times = self._failures.get(attempt.address_key)
            if times is not None and attempt.at in times:
                times.remove(attempt.at)

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < limit:
            return 0.0
        return times[len(times) - limit] + self.window_s - now

    def _forget_oldest(self) -> None:
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))


def parse_networks(items: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def client_address(request: Request, trusted_proxies: Sequence[Network]) -> str:
    """The client's address: the peer, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
    peer = request.client.host if request.client is not None else ""
    if not trusted_proxies or not _within(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted_proxies):
            return hop if _address(hop) is not None else peer
    return peer


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _within(text: str, networks: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)
