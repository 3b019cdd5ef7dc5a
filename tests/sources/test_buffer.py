"""LatestFrameSlot and FrameQueue: newest wins, counted drops, waiting consumers woken."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from edge.domain import Frame
from edge.sources import FrameQueue, LatestFrameSlot


def image(level: int = 0) -> np.ndarray:
    return np.full((2, 3, 3), level, np.uint8)


def test_the_slot_keeps_only_the_newest_frame_and_counts_the_replaced() -> None:
    slot = LatestFrameSlot("cam")
    for level in range(5):
        slot.put(image(level), captured_at=100.0 + level)
    frame = slot.latest(0, timeout=0)
    assert frame is not None and frame.sequence == 5 and frame.camera == "cam" and frame.captured_at == 104.0
    assert int(frame.image[0, 0, 0]) == 4
    assert (slot.frames, slot.dropped, slot.last_captured_at) == (5, 4, 104.0)
    assert slot.latest(5, timeout=0) is None
    again = slot.latest(0, timeout=0)
    assert again is frame, "another consumer asking later still gets the newest frame"
    slot.put(image(9))
    assert slot.dropped == 4, "a frame already taken is not counted as dropped when replaced"


def test_a_waiting_consumer_is_woken_by_a_new_frame() -> None:
    slot = LatestFrameSlot("cam")
    got: list[Frame | None] = []
    consumer = threading.Thread(target=lambda: got.append(slot.latest(0, timeout=10)), name="test-consumer")
    consumer.start()
    time.sleep(0.05)
    slot.put(image())
    consumer.join(10)
    assert got and got[0] is not None and got[0].sequence == 1


def test_the_slot_says_when_a_consumer_waits_for_a_frame() -> None:
    slot = LatestFrameSlot("cam")
    assert not slot.wanted()
    slot.put(image(1))
    got: list[Frame | None] = []
    consumer = threading.Thread(target=lambda: got.append(slot.latest(1, timeout=10)), name="test-consumer")
    consumer.start()
    try:
        assert _eventually(slot.wanted), "a consumer waiting for a frame newer than the one there"
        slot.put(image(2))
        consumer.join(5)
        assert got and got[0] is not None and got[0].sequence == 2
        assert not slot.wanted(), "served: nobody waits any more"
        assert slot.latest(0, timeout=0) is not None and not slot.wanted(), "a frame at hand is no wait"
    finally:
        slot.close()
        consumer.join(5)


def _eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def test_close_wakes_waiters_and_latest_no_longer_waits() -> None:
    slot = LatestFrameSlot("cam")
    got: list[Frame | None] = []
    consumer = threading.Thread(target=lambda: got.append(slot.latest(0, timeout=30)), name="test-consumer")
    consumer.start()
    time.sleep(0.05)
    slot.close()
    consumer.join(10)
    assert not consumer.is_alive() and got == [None]
    assert slot.latest(0, timeout=30) is None


def test_the_queue_hands_out_frames_in_order_and_drops_the_oldest_unseen() -> None:
    queue = FrameQueue("cam", capacity=3)
    for level in range(5):
        queue.put(image(level))
    assert queue.dropped == 2
    seen = []
    last = 0
    while (frame := queue.latest(last, timeout=0)) is not None:
        seen.append(frame.sequence)
        last = frame.sequence
    assert seen == [3, 4, 5]


def test_wait_for_room_reports_space_after_the_consumer_moves_on() -> None:
    queue = FrameQueue("cam", capacity=2)
    queue.put(image())
    queue.put(image())
    assert not queue.wait_for_room(0.01)
    first = queue.latest(0, timeout=0)
    assert first is not None and queue.wait_for_room(0.01), "a taken frame may be replaced freely"
    assert queue.dropped == 0


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FrameQueue("cam", capacity=0)


def test_many_producers_and_consumers_agree_on_the_counts() -> None:
    slot = LatestFrameSlot("cam")
    taken: list[int] = []
    stop = threading.Event()

    def consume() -> None:
        last = 0
        while not stop.is_set():
            frame = slot.latest(last, timeout=0.05)
            if frame is not None:
                last = frame.sequence
                taken.append(frame.sequence)

    def produce() -> None:
        for _ in range(500):
            slot.put(image())

    consumers = [threading.Thread(target=consume, name=f"test-consumer-{i}") for i in range(2)]
    producers = [threading.Thread(target=produce, name=f"test-producer-{i}") for i in range(3)]
    for thread in consumers + producers:
        thread.start()
    for thread in producers:
        thread.join(30)
    time.sleep(0.2)
    stop.set()
    for thread in consumers:
        thread.join(30)
    assert slot.frames == 1500
    assert len(set(taken)) + slot.dropped == 1500
