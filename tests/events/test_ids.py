from __future__ import annotations

import threading
import time
import uuid

import pytest

from edge.events.ids import Uuid7Generator, uuid7, uuid7_time


def test_fields_follow_rfc_9562() -> None:
    before = time.time()
    value = uuid.UUID(uuid7())
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert before - 0.001 <= uuid7_time(str(value)) <= time.time() + 0.001


def test_ids_sort_by_creation_time() -> None:
    ids = [uuid7() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_same_millisecond_counts_up_and_overflow_moves_the_clock() -> None:
    generator = Uuid7Generator(clock_ms=lambda: 1_700_000_000_000, random_bytes=lambda n: b"\xff" * n)
    ids = [generator.new() for _ in range(5000)]  # far more than 4096 in one millisecond
    assert ids == sorted(ids) and len(set(ids)) == 5000
    assert (ids[0].int >> 80) == 1_700_000_000_000
    assert (ids[-1].int >> 80) > 1_700_000_000_000
    assert all(i.version == 7 for i in ids)


def test_clock_going_back_stays_monotonic() -> None:
    times = iter([5_000, 4_000, 4_000, 6_000])
    generator = Uuid7Generator(clock_ms=lambda: next(times))
    ids = [generator() for _ in range(4)]
    assert ids == sorted(ids)
    assert [uuid7_time(i) for i in ids] == [5.0, 5.0, 5.0, 6.0]


def test_unique_and_ordered_across_threads() -> None:
    results: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def work(out: list[str]) -> None:
        start.wait()
        out.extend(uuid7() for _ in range(5000))

    threads = [threading.Thread(target=work, args=(out,), name=f"uuid7-test-{i}") for i, out in enumerate(results)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for out in results for i in out]
    assert len(set(everything)) == 40_000
    assert all(out == sorted(out) for out in results)


def test_not_a_uuid7() -> None:
    with pytest.raises(ValueError, match="UUIDv7"):
        uuid7_time(str(uuid.uuid4()))
