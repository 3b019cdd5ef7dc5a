"""HistoryRepository on SQLite and MariaDB: idempotent upserts, filters, paging, hostile input, images."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from edge.domain import Direction, ListMatch, Presence
from edge.storage.database import Database
from edge.storage.errors import ConstraintViolation, InvalidRecord
from edge.storage.history import HistoryRepository, HistoryRow
from edge.storage.migrations import migrate
from tests.storage.factories import make_event

BASE = datetime(2026, 11, 26, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def repo(database_url: str) -> Iterator[HistoryRepository]:
    db = Database.from_url(database_url, create_database=True)
    migrate(db)
    yield HistoryRepository(db)
    db.close()


def add_user(repo: HistoryRepository, name: str = "admin") -> int:
    with repo.database.transaction() as s:
        return s.insert("INSERT INTO users (username, password) VALUES (?, ?)", (name, "pbkdf2:hash"))


def test_event_row_has_every_field(repo: HistoryRepository) -> None:
    match = ListMatch("allow", "B123ABC", "Ana's car", 0.0, "B123ABC")
    event = make_event(decided_at=BASE + 0.25, open_barrier=True, match=match,
                       snapshot="snapshots/2026-11-26/x-frame.jpg", crop="snapshots/2026-11-26/x-crop.jpg")
    repo.upsert_event(event)
    row = repo.get_event(event.event_id)
    assert isinstance(row, HistoryRow)
    assert (row.plate_number, row.status, row.stage, row.revision) == ("B123ABC", Direction.ENTERING, "decided", 1)
    assert (row.site, row.camera, row.list_name, row.match_name, row.match_plate) == (
        "site-1", "gate-1", "allow", "Ana's car", "B123ABC")
    assert row.open_barrier is True and row.reason == "allowed" and row.presence == "normal"
    assert row.confidence == pytest.approx(0.93) and row.distance == 0.0
    assert row.candidates[0].text == "B123ABC" and row.models == {"plate-detector.onnx": "1"}
    assert row.decided_at == datetime.fromtimestamp(BASE + 0.25, UTC)
    assert row.first_seen == datetime.fromtimestamp(BASE - 1.25, UTC)
    assert row.created_at.replace(microsecond=0) == datetime.fromtimestamp(BASE, UTC)
    assert row.snapshot == event.snapshot and row.source == "camera" and row.user_id is None
    with pytest.raises(AttributeError):
        row.plate_number = "X"  # type: ignore[misc]


def test_upsert_is_idempotent_and_never_downgrades(repo: HistoryRepository) -> None:
    decided = make_event(decided_at=BASE, presence=Presence.UNKNOWN)
    final = make_event(event_id=decided.event_id, stage="final", revision=2, decided_at=BASE,
                       presence=Presence.ALREADY_INSIDE, plate="B123ABD")
    repo.upsert_event(decided)
    repo.upsert_event(decided)
    assert repo.count() == 1
    repo.upsert_event(final)
    row = repo.get_event(decided.event_id)
    assert row is not None and (row.stage, row.revision, row.plate_number, row.presence) == (
        "final", 2, "B123ABD", "already_inside")
    repo.upsert_event(decided)  # a late redelivery of revision 1
    row = repo.get_event(decided.event_id)
    assert row is not None and (row.stage, row.revision, row.plate_number) == ("final", 2, "B123ABD")
    assert repo.count() == 1


def test_query_filters_and_paging(repo: HistoryRepository) -> None:
    cameras = ["gate-1", "gate-2"]
    directions = [Direction.ENTERING, Direction.LEAVING, Direction.UNKNOWN]
    for i in range(12):
        repo.upsert_event(make_event(f"CJ{i:02d}ABC", camera=cameras[i % 2], direction=directions[i % 3],
                                     decided_at=BASE + 60 * i))
    newest_first = [r.plate_number for r in repo.query(limit=100)]
    assert newest_first == [f"CJ{i:02d}ABC" for i in reversed(range(12))]
    assert [r.plate_number for r in repo.query(limit=5, offset=5)] == newest_first[5:10]
    assert repo.query(limit=5, offset=50) == []
    assert [r.plate_number for r in repo.query("CJ03ABC")] == ["CJ03ABC"]
    assert repo.count(plate_contains="0") == 11 and repo.count(plate_contains="J1") == 2
    assert repo.count(camera="gate-2") == 6
    assert repo.count(direction="leaving") == 4 and repo.count(direction=Direction.UNKNOWN) == 4
    since = datetime.fromtimestamp(BASE + 60 * 4, UTC)
    until = datetime.fromtimestamp(BASE + 60 * 8, UTC)
    assert [r.plate_number for r in repo.query(since=since, until=until)] == ["CJ07ABC", "CJ06ABC", "CJ05ABC",
                                                                              "CJ04ABC"]
    naive = since.replace(tzinfo=None)  # naive datetimes are UTC
    assert repo.count(since=naive) == 8
    assert repo.count(camera="gate-1", direction="entering", since=since) == 1  # i = 6
    assert repo.count(plate="cj03abc") == 0  # exact and case-sensitive on both databases


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_bad_paging_is_refused(repo: HistoryRepository, limit: int) -> None:
    with pytest.raises(ValueError):
        repo.query(limit=limit)
    with pytest.raises(ValueError):
        repo.query(offset=-1)
    with pytest.raises(InvalidRecord):
        repo.query(direction="sideways")


HOSTILE = [
    "'; DROP TABLE h;--",
    "x' OR '1'='1",
    'a"b\\c`d',
    "%_%",
    "\u00c4\u00d6\U0001f697\u0416",
    "NUL\x00IN",
    "?%s{}",
]


@pytest.mark.parametrize("plate", HOSTILE)
def test_hostile_plates_are_stored_and_found_literally(repo: HistoryRepository, plate: str) -> None:
    repo.upsert_event(make_event("PLAIN1", decided_at=BASE))
    event = make_event(plate, camera=plate, decided_at=BASE + 1)
    repo.upsert_event(event)
    assert [r.plate_number for r in repo.query(plate)] == [plate]
    assert [r.plate_number for r in repo.query(plate_contains=plate[1:4])] == [plate]
    assert [r.camera for r in repo.query(camera=plate)] == [plate]
    assert repo.count() == 2


def test_hostile_and_huge_filters_match_nothing_and_break_nothing(repo: HistoryRepository) -> None:
    repo.upsert_event(make_event("B1ABC"))
    huge = "Z'\"%_" * 2048
    for value in ["'; DROP TABLE history; --", huge, "\U0001f697" * 5000, "%", "_", "' OR 1=1 --"]:
        assert repo.query(value) == [] and repo.count(value) == 0
        assert repo.query(plate_contains=value) == [] and repo.count(camera=value) == 0
    assert repo.count() == 1


def test_huge_text_fields_are_stored_whole(repo: HistoryRepository) -> None:
    models = {f"model-{i}.onnx": "v" * 1000 for i in range(10)}
    match = ListMatch("allow", "B1ABC", "N" * 255, 1.5, "B1ABC")
    event = make_event("B1ABC", models=models, match=match)
    repo.upsert_event(event)
    row = repo.get_event(event.event_id)
    assert row is not None and row.models == models and row.match_name == "N" * 255


@pytest.mark.parametrize(
    "event_kwargs",
    [{"plate": "P" * 21}, {"plate": ""}, {"camera": "c" * 65}, {"plate": "\ud800"}],
)
def test_values_that_do_not_fit_are_refused_on_both_databases(
    repo: HistoryRepository, event_kwargs: dict[str, str]
) -> None:
    with pytest.raises(InvalidRecord):
        repo.upsert_event(make_event(**event_kwargs))  # type: ignore[arg-type]
    assert repo.count() == 0


def test_manual_records_in_the_seed_shape(repo: HistoryRepository) -> None:
    user = add_user(repo)
    image = repo.add_image(b"\xff\xd8jpeg\xff\xd9")
    first = repo.add_manual("B77XYZ", "leaving", user, image_id=image, camera="gate-1")
    second = repo.add_manual("B78XYZ", Direction.ENTERING, None)
    assert second > first
    row = repo.query("B77XYZ")[0]
    assert (row.status, row.user_id, row.image_id, row.camera, row.source, row.event_id) == (
        Direction.LEAVING, user, image, "gate-1", "manual", None)
    with pytest.raises(InvalidRecord):
        repo.add_manual("B77XYZ", "sideways", user)
    with pytest.raises(ConstraintViolation):
        repo.add_manual("B77XYZ", "entering", 999_999)
    with repo.database.transaction() as s:  # ON DELETE SET NULL
        s.execute("DELETE FROM users WHERE id = ?", (user,))
    assert repo.query("B77XYZ")[0].user_id is None


def test_images_latest_and_by_id(repo: HistoryRepository) -> None:
    assert repo.latest_image() is None
    first = repo.add_image(b"one")
    second = repo.add_image(bytes(range(256)) * 1000)
    latest = repo.latest_image()
    assert latest is not None and latest.id == second and latest.data == bytes(range(256)) * 1000
    got = repo.get_image(first)
    assert got is not None and got.data == b"one"
    assert repo.get_image(123_456) is None
    with pytest.raises(InvalidRecord):
        repo.add_image(b"")


def test_event_with_image_adds_no_second_image_on_redelivery(repo: HistoryRepository) -> None:
    decided = make_event()
    image_id = repo.upsert_event_with_image(decided, b"frame-1")
    assert repo.upsert_event_with_image(decided, b"frame-1") == image_id
    final = make_event(event_id=decided.event_id, stage="final", revision=2)
    assert repo.upsert_event_with_image(final, b"frame-2") == image_id
    assert repo.upsert_event_with_image(decided, b"stale") == image_id
    stored = repo.get_image(image_id)
    assert stored is not None and stored.data == b"frame-2"
    row = repo.get_event(decided.event_id)
    assert row is not None and row.image_id == image_id and row.stage == "final"
    repo.upsert_event(final)  # no image given: the link stays
    row = repo.get_event(decided.event_id)
    assert row is not None and row.image_id == image_id
    with repo.database.transaction(write=False) as s:
        assert s.fetch_one("SELECT COUNT(*) FROM images") == (1,)


def test_created_at_is_the_decision_time(repo: HistoryRepository) -> None:
    old = BASE - timedelta(days=3).total_seconds()
    repo.upsert_event(make_event("OLD1", decided_at=old))
    row = repo.query("OLD1")[0]
    assert row.created_at.replace(microsecond=0) == datetime.fromtimestamp(old, UTC).replace(microsecond=0)
