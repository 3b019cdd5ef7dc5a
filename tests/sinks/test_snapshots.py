"""SnapshotSink on real files: atomic writes at the event's paths, retention, low disk."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from edge.events.outbox import EventOutbox, OutboxDrainer
from edge.settings.storage import SnapshotSettings
from edge.sinks.snapshots import SnapshotSink, snapshot_paths
from tests.storage.factories import make_event

MB = 1024 * 1024
DAY = date(2026, 11, 26)


def event_with_paths(event_id: str | None = None, day: date = DAY):  # type: ignore[no-untyped-def]
    event = make_event()
    frame, crop = snapshot_paths(event_id or event.event_id, day)
    return make_event(event_id=event_id or event.event_id, snapshot=frame, crop=crop)


def test_snapshot_paths() -> None:
    assert snapshot_paths("0190-abc", DAY) == ("snapshots/2026-11-26/0190-abc-frame.jpg",
                                               "snapshots/2026-11-26/0190-abc-crop.jpg")
    for bad in ["../x", "a/b", "", "x" * 65, "a b", "a\x00"]:
        with pytest.raises(ValueError):
            snapshot_paths(bad, DAY)


def test_files_are_written_atomically_at_the_event_paths(tmp_path: Path) -> None:
    sink = SnapshotSink(tmp_path, SnapshotSettings(min_free_mb=0))
    event = event_with_paths()
    frame, crop = os.urandom(300_000), os.urandom(5000)
    sink.deliver(event, {"snapshot": frame, "crop": crop})
    sink.deliver(event, {"snapshot": frame, "crop": crop})  # idempotent
    assert event.snapshot is not None and event.crop is not None
    assert (tmp_path / event.snapshot).read_bytes() == frame
    assert (tmp_path / event.crop).read_bytes() == crop
    assert sorted(p.name for p in (tmp_path / "snapshots" / "2026-11-26").iterdir()) == sorted(
        [Path(event.snapshot).name, Path(event.crop).name])  # no temporary files left
    stats = sink.stats()
    assert stats.written == 4 and stats.files == 2 and stats.total_bytes == 305_000


def test_missing_paths_or_attachments_write_nothing(tmp_path: Path) -> None:
    sink = SnapshotSink(tmp_path, SnapshotSettings(min_free_mb=0))
    sink.deliver(make_event(), {"snapshot": b"x"})  # the event names no path
    sink.deliver(event_with_paths(), {})
    assert not (tmp_path / "snapshots").exists()
    off = SnapshotSink(tmp_path, SnapshotSettings(keep=False, min_free_mb=0))
    off.deliver(event_with_paths(), {"snapshot": b"x"})
    assert not (tmp_path / "snapshots").exists()


@pytest.mark.parametrize("path", ["../escape.jpg", "/etc/passwd", "snapshots/../../x.jpg", "other/x.jpg",
                                  "snapshots", "snapshots/a\x00b.jpg"])
def test_paths_outside_the_snapshot_folder_are_refused(tmp_path: Path, path: str) -> None:
    sink = SnapshotSink(tmp_path / "data", SnapshotSettings(min_free_mb=0))
    with pytest.raises(ValueError):
        sink.deliver(make_event(snapshot=path), {"snapshot": b"x"})
    assert not (tmp_path / "escape.jpg").exists() and not (tmp_path / "x.jpg").exists()


def test_retention_by_total_size_deletes_the_oldest(tmp_path: Path) -> None:
    sink = SnapshotSink(tmp_path, SnapshotSettings(max_total_mb=1, min_free_mb=0))
    events = [event_with_paths() for _ in range(4)]
    for event in events:
        sink.deliver(event, {"snapshot": b"j" * 400_000})
    kept = [e for e in events if e.snapshot and (tmp_path / e.snapshot).exists()]
    assert kept == events[-2:]
    assert sink.stats().total_bytes <= MB and sink.stats().deleted == 2


def test_retention_by_age_and_leftovers_of_a_crash(tmp_path: Path) -> None:
    old_day = tmp_path / "snapshots" / "2026-01-01"
    old_day.mkdir(parents=True)
    old = old_day / "old-frame.jpg"
    old.write_bytes(b"old")
    forty_days_ago = time.time() - 40 * 86400
    os.utime(old, (forty_days_ago, forty_days_ago))
    leftover = old_day / ".tmp-123-x-frame.jpg"
    leftover.write_bytes(b"half")
    sink = SnapshotSink(tmp_path, SnapshotSettings(max_age_days=30, min_free_mb=0))
    event = event_with_paths()
    sink.deliver(event, {"snapshot": b"new"})
    assert not old.exists() and not leftover.exists() and not old_day.exists()
    assert event.snapshot is not None and (tmp_path / event.snapshot).exists()
    assert sink.prune(now=time.time() + 31 * 86400) == 1
    assert not (tmp_path / event.snapshot).exists()


def test_low_disk_writes_nothing_but_confirms(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sink = SnapshotSink(tmp_path, SnapshotSettings(min_free_mb=10**9))
    outbox = EventOutbox(tmp_path / "outbox.sqlite3", ["snapshots"])
    for _ in range(3):
        outbox.put(event_with_paths(), {"snapshot": b"x" * 1000})
    drainer = OutboxDrainer(outbox, sink, retry_initial_s=0.01)
    drainer.start()
    deadline = time.monotonic() + 10
    while outbox.depth()["snapshots"] and time.monotonic() < deadline:
        time.sleep(0.01)
    drainer.stop()
    assert outbox.depth() == {"snapshots": 0}
    assert not (tmp_path / "snapshots").exists()
    assert sink.stats().skipped_low_disk == 3 and drainer.stats().delivered == 3
    assert caplog.text.count("not writing snapshots") == 1  # logged once
    outbox.close()
