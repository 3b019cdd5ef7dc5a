"""HistorySink through a real outbox and drainer, on SQLite and MariaDB (and a MariaDB that is down)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.domain import SinkUnavailable
from edge.events.outbox import EventOutbox, OutboxDrainer
from edge.sinks.history import HistorySink
from edge.storage.database import Database
from edge.storage.history import HistoryRepository
from tests.storage.factories import free_port, make_event


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.01)


def test_rows_land_idempotently_and_schema_is_made_on_first_delivery(database_url: str) -> None:
    db = Database.from_url(database_url, create_database=True)
    sink = HistorySink(HistoryRepository(db))
    assert sink.name == "history"
    event = make_event()
    sink.deliver(event, {})
    sink.deliver(event, {})
    sink.deliver(make_event(event_id=event.event_id, stage="final", revision=2), {})
    repo = HistoryRepository(db)
    assert repo.count() == 1
    row = repo.get_event(event.event_id)
    assert row is not None and row.stage == "final" and row.image_id is None
    db.close()


def test_store_blobs_links_the_snapshot(database_url: str) -> None:
    db = Database.from_url(database_url, create_database=True)
    sink = HistorySink(HistoryRepository(db), store_blobs=True)
    event = make_event()
    sink.deliver(event, {"snapshot": b"\xff\xd8frame", "crop": b"crop"})
    sink.deliver(event, {"snapshot": b"\xff\xd8frame", "crop": b"crop"})
    sink.deliver(make_event(), {})  # no snapshot: no image
    repo = HistoryRepository(db)
    row = repo.get_event(event.event_id)
    assert row is not None and row.image_id is not None
    image = repo.get_image(row.image_id)
    assert image is not None and image.data == b"\xff\xd8frame"
    latest = repo.latest_image()
    assert latest is not None and latest.id == row.image_id
    db.close()


def test_unreachable_mariadb_keeps_events_then_the_real_one_gets_them_in_order(
    mariadb_url: str, tmp_path: Path
) -> None:
    outbox = EventOutbox(tmp_path / "outbox.sqlite3", ["history"])
    down = Database.from_url(f"mysql://root:n0t-logged@127.0.0.1:{free_port()}/cw", connect_timeout_s=1,
                             retry_after_s=0.1)
    with pytest.raises(SinkUnavailable) as caught:
        HistorySink(HistoryRepository(down)).deliver(make_event(), {})
    assert "n0t-logged" not in str(caught.value)

    plates = [f"ORD{i:02d}" for i in range(12)]
    for plate in plates:
        outbox.put(make_event(plate))
    failing = OutboxDrainer(outbox, HistorySink(HistoryRepository(down)), retry_initial_s=0.01, retry_max_s=0.05)
    failing.start()
    wait_for(lambda: failing.stats().retries >= 2)
    assert failing.stop(time.monotonic() + 0.2)
    assert outbox.depth() == {"history": 12}
    assert failing.stats().parked == 0 and failing.stats().failed == 0

    up = Database.from_url(mariadb_url, create_database=True)
    drainer = OutboxDrainer(outbox, HistorySink(HistoryRepository(up)), retry_initial_s=0.01, retry_max_s=0.05)
    drainer.start()
    try:
        wait_for(lambda: outbox.depth() == {"history": 0})
    finally:
        drainer.stop()
    rows = HistoryRepository(up).query(limit=100)
    assert [r.plate_number for r in sorted(rows, key=lambda r: r.id)] == plates
    up.close()
    outbox.close()


def test_a_row_the_database_refuses_is_parked_not_retried_forever(database_url: str, tmp_path: Path) -> None:
    outbox = EventOutbox(tmp_path / "outbox.sqlite3", ["history"], max_attempts=2)
    db = Database.from_url(database_url, create_database=True)
    for plate in ("GOOD1", "P" * 25, "GOOD2"):
        outbox.put(make_event(plate))
    drainer = OutboxDrainer(outbox, HistorySink(HistoryRepository(db)), retry_initial_s=0.01, retry_max_s=0.05)
    drainer.start()
    try:
        wait_for(lambda: outbox.depth() == {"history": 0})
    finally:
        drainer.stop()
    assert [r.plate_number for r in HistoryRepository(db).query()] == ["GOOD2", "GOOD1"]
    (letter,) = outbox.dead_letters()
    assert "InvalidRecord" in letter.error and "plate_number" in letter.error
    db.close()
    outbox.close()
