"""LoginLimiter (sliding window per user name and per address, bounded memory) and client_address."""

from __future__ import annotations

import threading

import pytest
from starlette.requests import Request

from edge.api.ratelimit import Attempt, LoginLimiter, client_address, parse_networks, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(limiter: LoginLimiter, user: str, address: str = "10.0.0.1") -> Attempt | float:
    return limiter.begin(user, address)  # an attempt never given back counts as a failure


def test_the_sixth_attempt_within_the_window_waits() -> None:
    clock = Clock()
    limiter = LoginLimiter(5, 100, 900, clock)
    for _ in range(5):
        assert isinstance(fail(limiter, "ana"), Attempt)
        clock.now += 10
    wait = fail(limiter, "ana")
    assert wait == pytest.approx(900 - 50)
    assert isinstance(fail(limiter, "bob"), Attempt)  # other names are not affected
    clock.now += 851
    assert isinstance(fail(limiter, "ana"), Attempt)  # the oldest failure left the window


def test_addresses_have_their_own_limit() -> None:
    limiter = LoginLimiter(5, 3, 60, Clock())
    for name in ("a", "b", "c"):
        assert isinstance(limiter.begin(name, "10.0.0.9"), Attempt)
    assert not isinstance(limiter.begin("d", "10.0.0.9"), Attempt)
    assert isinstance(limiter.begin("d", "10.0.0.10"), Attempt)


def test_success_takes_the_attempt_back_and_forgets_the_users_failures() -> None:
    limiter = LoginLimiter(2, 2, 60, Clock())
    fail(limiter, "ana", "10.0.0.1")
    attempt = limiter.begin("ana", "10.0.0.2")
    assert isinstance(attempt, Attempt)
    limiter.succeeded(attempt)
    assert isinstance(limiter.begin("ana", "10.0.0.3"), Attempt)
    assert isinstance(limiter.begin("ana", "10.0.0.2"), Attempt)  # the success did not count at 10.0.0.2


def test_parallel_attempts_are_limited_too() -> None:
    limiter = LoginLimiter(5, 1000, 60, Clock())
    results: list[Attempt | float] = []
    lock = threading.Lock()

    def attempt() -> None:
        outcome = limiter.begin("ana", "10.0.0.1")
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, name=f"attempt-{i}") for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, Attempt) for r in results) == 5


def test_memory_is_bounded() -> None:
    limiter = LoginLimiter(5, 5, 60, Clock(), max_keys=100)
    for i in range(10_000):
        limiter.begin(f"user-{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert len(limiter._failures) <= 100


def test_retry_after_is_a_whole_positive_number() -> None:
    assert retry_after_header(0.2) == "1"
    assert retry_after_header(12.1) == "13"


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers, "method": "GET", "path": "/"})


def test_the_peer_is_the_client_without_trusted_proxies() -> None:
    assert client_address(request_from("10.0.0.5", "1.2.3.4"), ()) == "10.0.0.5"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() -> None:
    proxies = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_address(request_from("127.0.0.1", "203.0.113.7"), proxies) == "203.0.113.7"
    assert client_address(request_from("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.1.1"), proxies) == "203.0.113.7"
    assert client_address(request_from("127.0.0.1"), proxies) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1", "not-an-ip"), proxies) == "127.0.0.1"
    assert client_address(request_from("192.0.2.1", "203.0.113.7"), proxies) == "192.0.2.1"  # untrusted peer
