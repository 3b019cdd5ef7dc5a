"""Hot reload of the plate lists file with the real watchdog observer (polls with a deadline)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge.events.lists import PlateListError, PlateListStore
from edge.settings.plate_lists import PlateEntry, PlateLists

ONE = '[[allow]]\nplate = "B58DTK"\nname = "one"\n'
TWO = '[[allow]]\nplate = "B58DTK"\nname = "two"\n[[deny]]\nplate = "B02YKD"\n'


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PlateListStore]:
    path = tmp_path / "plates.toml"
    path.write_text(ONE)
    store = PlateListStore(path, debounce_s=0.05)
    store.load()
    store.start()
    yield store
    store.stop()


def names(store: PlateListStore) -> list[str]:
    return [e.name for e in store.lists.allow]


def test_edit_in_place_is_reloaded(store: PlateListStore) -> None:
    assert names(store) == ["one"]
    store.path.write_text(TWO)
    wait_for(lambda: names(store) == ["two"])
    assert [e.plate for e in store.lists.deny] == ["B02YKD"] and store.last_error is None


def test_atomic_rename_is_reloaded(store: PlateListStore) -> None:
    temporary = store.path.with_name("plates.toml.swp")
    temporary.write_text(TWO)
    os.replace(temporary, store.path)
    wait_for(lambda: names(store) == ["two"])
    other = store.path.with_name("other.toml")  # other files in the directory are ignored
    other.write_text("not toml [")
    time.sleep(0.3)
    assert store.last_error is None


def test_malformed_edit_keeps_the_old_lists(store: PlateListStore, caplog: pytest.LogCaptureFixture) -> None:
    store.path.write_text(ONE + 'colour = "red"\n')
    wait_for(lambda: store.last_error is not None)
    assert names(store) == ["one"]
    assert store.last_error is not None and "allow[0] (B58DTK).colour: unknown field" in store.last_error
    assert any("previous lists stay in force" in r.getMessage() for r in caplog.records)
    store.path.write_text(ONE)  # back to the content in force: the error clears
    wait_for(lambda: store.last_error is None)
    store.path.write_text(TWO)
    wait_for(lambda: names(store) == ["two"])


def test_deleted_file_keeps_the_old_lists(store: PlateListStore) -> None:
    store.path.unlink()
    wait_for(lambda: store.last_error is not None)
    assert names(store) == ["one"] and "cannot read" in (store.last_error or "")
    store.path.write_text(TWO)
    wait_for(lambda: names(store) == ["two"] and store.last_error is None)


def test_save_puts_lists_in_force(store: PlateListStore) -> None:
    seen: list[PlateLists] = []
    store.on_change = seen.append
    lists = PlateLists(watch=(PlateEntry(plate="JKS3724", name="stolen"),))
    store.save(lists)
    assert store.lists == lists and seen == [lists]
    time.sleep(0.3)  # the observer sees our own write: same content, no second reload
    assert seen == [lists] and store.last_error is None


def test_stop_joins_the_threads(tmp_path: Path) -> None:
    store = PlateListStore(tmp_path / "plates.toml", debounce_s=0.05)
    assert store.load() == PlateLists()  # a missing file: empty lists
    store.start()
    running = {t.name for t in threading.enumerate()}
    assert {"plate-lists-watch", "plate-lists-reload"} <= running
    store.stop()
    running = {t.name for t in threading.enumerate()}
    assert not {"plate-lists-watch", "plate-lists-reload"} & running
    store.stop()  # twice is harmless


def test_first_load_of_a_malformed_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "plates.toml"
    path.write_text("[[allow]]\nplate = 'B5?'\n")
    with pytest.raises(PlateListError, match=r"allow\[0\] \(B5\?\)\.plate"):
        PlateListStore(path).load()
    with pytest.raises(PlateListError, match="does not exist"):
        PlateListStore(tmp_path / "missing" / "plates.toml").start()
