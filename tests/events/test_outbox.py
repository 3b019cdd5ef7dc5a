"""The durable outbox and its drainers, on real SQLite files (and a real kill -9)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from edge.domain import PlateEvent, SinkUnavailable
from edge.events.outbox import (
    EventOutbox,
    OutboxDrainer,
    OutboxError,
    OutboxFull,
    classify_sqlite_error,
)
from edge.settings.storage import OutboxSettings
from tests.storage.factories import make_event

REPOSITORY = Path(__file__).resolve().parents[2]


class RecordingSink:
    """A real sink that keeps what it got; ``behaviour`` may raise for some events."""

    def __init__(self, name: str, behaviour: Callable[[PlateEvent, int], None] | None = None) -> None:
        self.name = name
        self.events: list[PlateEvent] = []
        self.attachments: list[Mapping[str, bytes]] = []
        self.calls = 0
        self._behaviour = behaviour
        self._lock = threading.Lock()

    def deliver(self, event: PlateEvent, attachments: Mapping[str, bytes]) -> None:
        with self._lock:
            self.calls += 1
            calls = self.calls
        if self._behaviour is not None:
            self._behaviour(event, calls)
        with self._lock:
            self.events.append(event)
            self.attachments.append(dict(attachments))

    def plates(self) -> list[str]:
        with self._lock:
            return [e.plate for e in self.events]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.01)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[EventOutbox]:
    box = EventOutbox(tmp_path / "outbox.sqlite3", ["history", "mqtt"])
    yield box
    box.close()


def drainer_for(outbox: EventOutbox, sink: RecordingSink, **options: float) -> OutboxDrainer:
    options = {"retry_initial_s": 0.01, "retry_max_s": 0.05, **options}
    return OutboxDrainer(outbox, sink, stop_timeout=5.0, **options)  # type: ignore[arg-type]


def raw_count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


# ---- the outbox itself ----------------------------------------------------------------------------


def test_file_is_wal_with_full_sync(outbox: EventOutbox) -> None:
    with sqlite3.connect(outbox.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_pending_is_in_put_order_per_sink_with_attachments(outbox: EventOutbox) -> None:
    events = [make_event(f"B{i:02d}XYZ") for i in range(5)]
    for i, event in enumerate(events):
        outbox.put(event, {"snapshot": bytes([i]) * 1000, "crop": b"crop"})
    for sink in ("history", "mqtt"):
        items = outbox.pending(sink, limit=10)
        assert [item.event.event_id for item in items] == [e.event_id for e in events]
        assert [item.item_id for item in items] == sorted(item.item_id for item in items)
        assert items[2].attachments == {"snapshot": bytes([2]) * 1000, "crop": b"crop"}
        assert items[0].event.to_dict() == events[0].to_dict()
    assert outbox.depth() == {"history": 5, "mqtt": 5}
    assert len(outbox.pending("history", limit=2)) == 2


def test_item_is_deleted_only_after_every_sink_confirmed(outbox: EventOutbox) -> None:
    outbox.put(make_event(), {"snapshot": b"x" * 100})
    (item,) = outbox.pending("history")
    outbox.confirm("history", item.item_id)
    outbox.confirm("history", item.item_id)  # idempotent
    assert outbox.depth() == {"history": 0, "mqtt": 1}
    assert raw_count(outbox.path, "items") == 1
    assert outbox.pending("mqtt")[0].attachments == {"snapshot": b"x" * 100}
    outbox.confirm("mqtt", item.item_id)
    assert outbox.depth() == {"history": 0, "mqtt": 0}
    assert raw_count(outbox.path, "items") == 0
    assert raw_count(outbox.path, "attachments") == 0


def test_poison_item_is_parked_after_max_attempts(outbox: EventOutbox) -> None:
    outbox.put(make_event("POISON1"))
    (item,) = outbox.pending("history")
    for _ in range(outbox.max_attempts - 1):
        assert outbox.record_failure("history", item.item_id, "ValueError: bad") is False
    assert outbox.pending("history")[0].attempts == outbox.max_attempts - 1
    assert outbox.record_failure("history", item.item_id, "ValueError: bad") is True
    assert outbox.depth() == {"history": 0, "mqtt": 1}
    assert outbox.dead_letter_counts() == {"history": 1, "mqtt": 0}
    (letter,) = outbox.dead_letters()
    assert letter.sink == "history" and letter.event_id == item.event.event_id and "bad" in letter.error
    assert PlateEvent.from_dict(__import__("json").loads(letter.payload)).plate == "POISON1"


def test_unreadable_record_is_parked_and_the_rest_delivered(outbox: EventOutbox) -> None:
    outbox.put(make_event("FIRST1"))
    outbox.put(make_event("SECOND2"))
    with sqlite3.connect(outbox.path) as connection:
        connection.execute("UPDATE items SET payload = '{not json' WHERE id = (SELECT MIN(id) FROM items)")
    assert [i.event.plate for i in outbox.pending("history")] == ["SECOND2"]
    assert outbox.dead_letter_counts()["history"] == 1


def test_hostile_and_huge_values_round_trip_literally(outbox: EventOutbox) -> None:
    plate = "'; DROP TABLE items; --" + "\u00c4\U0001f697\x00" + "Z" * 10_000
    event = make_event(plate, models={"m\"'\\": "v" * 10_000})
    big = os.urandom(5 * 1024 * 1024)
    outbox.put(event, {"snapshot": big})
    (item,) = outbox.pending("history")
    assert item.event.plate == plate
    assert item.event.models == event.models
    assert item.attachments["snapshot"] == big


@pytest.mark.parametrize(
    ("attachments", "error"),
    [({"": b"x"}, ValueError), ({"n" * 65: b"x"}, ValueError), ({"snapshot": "text"}, TypeError),
     ({3: b"x"}, ValueError)],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(
    outbox: EventOutbox, attachments: dict[object, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        outbox.put(make_event(), attachments)  # type: ignore[arg-type]
    assert outbox.depth() == {"history": 0, "mqtt": 0}


def test_unregistered_sink_and_bad_sink_lists_are_refused(outbox: EventOutbox, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not registered"):
        outbox.pending("nope")
    with pytest.raises(ValueError):
        EventOutbox(tmp_path / "other.sqlite3", ["a", "a"])
    with pytest.raises(ValueError):
        EventOutbox(tmp_path / "other.sqlite3", ["a", ""])


def test_full_outbox_raises_outbox_full_and_the_event_alone_fits(tmp_path: Path) -> None:
    box = EventOutbox(tmp_path / "small.sqlite3", ["history"], max_bytes=256 * 1024)
    try:
        with pytest.raises(OutboxFull, match="full"):
            box.put(make_event("BIG1"), {"snapshot": os.urandom(1024 * 1024)})
        assert box.depth() == {"history": 0}
        box.put(make_event("BIG1"), attachments={})
        assert [i.event.plate for i in box.pending("history")] == ["BIG1"]
    finally:
        box.close()


def test_sqlite_errors_are_classified() -> None:
    path = Path("/data/outbox.sqlite3")
    assert isinstance(classify_sqlite_error(sqlite3.OperationalError("database or disk is full"), path, "x"),
                      OutboxFull)
    readonly = classify_sqlite_error(sqlite3.OperationalError("attempt to write a readonly database"), path, "x")
    assert type(readonly) is OutboxError and "read-only" in str(readonly)
    assert type(classify_sqlite_error(sqlite3.OperationalError("disk I/O error"), path, "x")) is OutboxError


def test_a_corrupt_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    box = EventOutbox(path, ["history"])
    try:
        box.put(make_event())
        assert box.depth() == {"history": 1}
        assert len(list(tmp_path.glob("outbox.sqlite3.corrupt-*"))) == 1
    finally:
        box.close()
    with pytest.raises(OutboxError):
        path.write_bytes(b"garbage" * 100)
        (tmp_path / "outbox.sqlite3-wal").unlink(missing_ok=True)
        EventOutbox(path, ["history"], quarantine_corrupt=False)


def test_backlog_of_a_removed_sink_is_reported_and_can_be_dropped(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first = EventOutbox(path, ["history", "mqtt"])
    first.put(make_event())
    first.close()
    second = EventOutbox(path, ["history"])
    try:
        assert second.unregistered_backlog() == {"mqtt": 1}
        with pytest.raises(ValueError):
            second.drop_sink("history")
        assert second.drop_sink("mqtt") == 1
        (item,) = second.pending("history")
        second.confirm("history", item.item_id)
        assert raw_count(path, "items") == 0
    finally:
        second.close()


def test_every_acknowledged_put_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    writer = (
        "import sys\n"
        "from pathlib import Path\n"
        "from edge.events.outbox import EventOutbox\n"
        "from tests.storage.factories import make_event\n"
        "box = EventOutbox(Path(sys.argv[1]), ['history', 'mqtt'])\n"
        "i = 0\n"
        "while True:\n"
        "    event = make_event(f'K{i}')\n"
        "    box.put(event, {'snapshot': b'j' * 4096})\n"
        "    print(event.event_id, flush=True)\n"
        "    i += 1\n"
    )
    child = subprocess.Popen([sys.executable, "-c", writer, str(path)], cwd=REPOSITORY, stdout=subprocess.PIPE,
                             text=True)
    acknowledged: list[str] = []
    try:
        assert child.stdout is not None
        while len(acknowledged) < 40:
            line = child.stdout.readline()
            assert line, "the writer died before acknowledging 40 events"
            acknowledged.append(line.strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    box = EventOutbox(path, ["history", "mqtt"])
    try:
        for sink in ("history", "mqtt"):
            stored = [item.event.event_id for item in box.pending(sink, limit=100_000)]
            assert stored[: len(acknowledged)] == acknowledged
            assert all(len(i.attachments["snapshot"]) == 4096 for i in box.pending(sink, limit=50))
    finally:
        box.close()


# ---- drainers -------------------------------------------------------------------------------------


def test_drainer_delivers_in_order_and_confirms(outbox: EventOutbox) -> None:
    history, mqtt = RecordingSink("history"), RecordingSink("mqtt")
    drainers = [drainer_for(outbox, history), drainer_for(outbox, mqtt)]
    for drainer in drainers:
        drainer.start()
    try:
        assert {d.name for d in drainers} == {"outbox-history", "outbox-mqtt"}
        plates = [f"P{i:03d}" for i in range(30)]
        for plate in plates:
            outbox.put(make_event(plate), {"snapshot": plate.encode()})
        wait_for(lambda: outbox.depth() == {"history": 0, "mqtt": 0})
        assert history.plates() == plates and mqtt.plates() == plates
        assert history.attachments[3] == {"snapshot": b"P003"}
        assert drainers[0].stats().delivered == 30
    finally:
        for drainer in drainers:
            assert drainer.stop()
    assert raw_count(outbox.path, "items") == 0


def test_drainer_wakes_on_put_without_polling(outbox: EventOutbox) -> None:
    sink = RecordingSink("history")
    drainer = drainer_for(outbox, sink, idle_wait_s=3600)
    drainer.start()
    try:
        wait_for(lambda: drainer.stats().running)
        time.sleep(0.05)  # let it go idle on its wake event
        outbox.put(make_event("WAKE1"))
        wait_for(lambda: sink.plates() == ["WAKE1"], timeout=5)
    finally:
        drainer.stop()


def test_sink_unavailable_is_retried_with_backoff_in_order(outbox: EventOutbox) -> None:
    def flaky(event: PlateEvent, calls: int) -> None:
        if calls <= 4:
            raise SinkUnavailable("broker down")

    sink = RecordingSink("history", flaky)
    for plate in ("A1", "A2", "A3"):
        outbox.put(make_event(plate))
    drainer = drainer_for(outbox, sink)
    drainer.start()
    try:
        wait_for(lambda: sink.plates() == ["A1", "A2", "A3"])
        stats = drainer.stats()
        assert stats.retries == 4 and stats.failed == 0 and stats.parked == 0
        assert "broker down" in stats.last_error
        assert outbox.dead_letter_counts()["history"] == 0
    finally:
        drainer.stop()


def test_backoff_doubles_up_to_its_cap(outbox: EventOutbox) -> None:
    def down(event: PlateEvent, calls: int) -> None:
        raise SinkUnavailable("down")

    drainer = drainer_for(outbox, RecordingSink("history", down), retry_initial_s=0.01, retry_max_s=0.04)
    outbox.put(make_event())
    drainer.start()
    try:
        wait_for(lambda: drainer.stats().retries >= 5)
        assert drainer.stats().backoff_s == pytest.approx(0.04)
        assert outbox.depth()["history"] == 1
    finally:
        drainer.stop(time.monotonic())


def test_poison_event_is_parked_and_the_queue_moves_on(outbox: EventOutbox) -> None:
    def bug(event: PlateEvent, calls: int) -> None:
        if event.plate == "BAD1":
            raise KeyError("missing field")

    sink = RecordingSink("history", bug)
    for plate in ("OK1", "BAD1", "OK2"):
        outbox.put(make_event(plate))
    drainer = drainer_for(outbox, sink)
    drainer.start()
    try:
        wait_for(lambda: sink.plates() == ["OK1", "OK2"])
        stats = drainer.stats()
        assert stats.failed == outbox.max_attempts and stats.parked == 1
        assert "missing field" in stats.last_error
        (letter,) = outbox.dead_letters("history")
        assert letter.attempts == outbox.max_attempts and "KeyError" in letter.error
    finally:
        drainer.stop()
    assert outbox.depth() == {"history": 0, "mqtt": 3}


def test_concurrent_puts_from_threads_are_all_delivered_once_in_put_order(outbox: EventOutbox) -> None:
    sink = RecordingSink("history")
    drainer = drainer_for(outbox, sink)
    drainer.start()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                outbox.put(make_event(f"T{n}-{i:02d}"), {"crop": bytes([n, i])})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,), name=f"writer-{n}") for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        wait_for(lambda: len(sink.plates()) == 200)
        plates = sink.plates()
        assert len(set(plates)) == 200
        for n in range(8):
            mine = [p for p in plates if p.startswith(f"T{n}-")]
            assert mine == sorted(mine)
    finally:
        drainer.stop()


def test_stop_keeps_delivering_until_empty(outbox: EventOutbox) -> None:
    def slow(event: PlateEvent, calls: int) -> None:
        time.sleep(0.005)

    sink = RecordingSink("history", slow)
    drainer = drainer_for(outbox, sink)
    for i in range(40):
        outbox.put(make_event(f"S{i:02d}"))
    drainer.start()
    assert drainer.stop(time.monotonic() + 30) is True
    assert len(sink.plates()) == 40
    assert outbox.depth()["history"] == 0
    assert not drainer.stats().running


def test_stop_gives_up_at_the_deadline_and_keeps_the_rest(outbox: EventOutbox) -> None:
    def down(event: PlateEvent, calls: int) -> None:
        raise SinkUnavailable("database down")

    drainer = drainer_for(outbox, RecordingSink("history", down), retry_initial_s=5.0, retry_max_s=30.0)
    for i in range(3):
        outbox.put(make_event(f"D{i}"))
    drainer.start()
    wait_for(lambda: drainer.stats().retries >= 1)
    assert drainer.stop(time.monotonic() + 0.3) is True  # the 5 s backoff does not hold the shutdown
    assert outbox.depth()["history"] == 3


def test_outbox_and_drainer_from_settings(tmp_path: Path) -> None:
    settings = OutboxSettings(max_attempts=2, retry_initial_s=0.01, retry_max_s=0.02, stop_timeout_s=5)
    box = EventOutbox.from_settings(settings, tmp_path, ["history"])
    sink = RecordingSink("history")
    drainer = OutboxDrainer.from_settings(box, sink, settings)
    try:
        assert box.path == tmp_path / "outbox.sqlite3" and box.max_attempts == 2
        box.put(make_event("SET1"))
        drainer.start()
        wait_for(lambda: sink.plates() == ["SET1"])
    finally:
        assert drainer.stop()
        box.close()
