"""The snapshot sink: each event's frame and plate-crop JPEGs as files under the data directory.

Files are written atomically (temporary file, fsync, rename) at the paths the event names, so a
redelivery rewrites the same files. Retention deletes the oldest files beyond ``max_total_mb`` or
older than ``max_age_days`` after each write (an in-memory index built by one scan at start: cheap).
When the disk has less than ``min_free_mb`` free, nothing is written and the event is still confirmed:
snapshots stop before events are lost.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edge.domain import PlateEvent, SinkUnavailable
from edge.settings.storage import SnapshotSettings

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "snapshots"
MB = 1024 * 1024
DAY_S = 86400.0
_EVENT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_TEMP_PREFIX = ".tmp-"


def snapshot_paths(event_id: str, day: date) -> tuple[str, str]:
    """(frame, crop) paths relative to the data directory for an event, e.g.
    ``snapshots/2026-11-26/<event_id>-frame.jpg``; what the pipeline puts in ``event.snapshot``/``crop``."""
    if not _EVENT_ID.match(event_id):
        raise ValueError(f"event id {event_id!r:.80} is not a plain id (letters, digits, dashes)")
    folder = f"{SNAPSHOT_DIR}/{day.isoformat()}"
    return f"{folder}/{event_id}-frame.jpg", f"{folder}/{event_id}-crop.jpg"


@dataclass(frozen=True)
class SnapshotStats:
    written: int
    skipped_low_disk: int  # events whose files were not written because the disk was (nearly) full
    deleted: int  # files removed by retention
    files: int
    total_bytes: int


@dataclass(slots=True)
class _File:
    """One file of the retention index: a few hundred bytes each (a path string, not a Path object), as
    the index holds every snapshot on disk (tens of thousands under the default 2 GB)."""

    path: str
    size: int
    mtime: float


class SnapshotSink:
    """EventSink ``snapshots``: attachment ``snapshot`` goes to ``event.snapshot``, ``crop`` to ``event.crop``."""

    name = "snapshots"
    ATTACHMENT_PATHS = (("snapshot", "snapshot"), ("crop", "crop"))  # (attachment name, event field)

    def __init__(self, data_dir: Path, settings: SnapshotSettings) -> None:
        self._data_dir = Path(data_dir).resolve()
        self._root = self._data_dir / SNAPSHOT_DIR
        self._settings = settings
        self._lock = threading.Lock()
        self._index: deque[_File] | None = None  # oldest first
        self._sizes: dict[str, int] = {}  # path -> size, the files of _index
        self._total_bytes = 0
        self._counts = {"written": 0, "skipped_low_disk": 0, "deleted": 0}
        self._low_disk_logged = False

    def deliver(self, event: PlateEvent, attachments: Mapping[str, bytes]) -> None:
        if not self._settings.keep:
            return
        targets = self._targets(event, attachments)
        if not targets:
            return
        with self._lock:
            if self._disk_low():
                return
            for target, data in targets:
                if not self._write(target, data):
                    return
            self._prune_locked(time.time())

    def prune(self, now: float | None = None) -> int:
        """Apply retention now (the lead may call it on a timer); returns how many files were deleted."""
        with self._lock:
            return self._prune_locked(time.time() if now is None else now)

    def stats(self) -> SnapshotStats:
        with self._lock:
            self._load_index()
            return SnapshotStats(self._counts["written"], self._counts["skipped_low_disk"], self._counts["deleted"],
                                 len(self._sizes), self._total_bytes)

    # ---- writing ---------------------------------------------------------------------------------

    def _targets(self, event: PlateEvent, attachments: Mapping[str, bytes]) -> list[tuple[Path, bytes]]:
        targets: list[tuple[Path, bytes]] = []
        for attachment, attribute in self.ATTACHMENT_PATHS:
            data = attachments.get(attachment)
            relative = getattr(event, attribute)
            if data and relative:
                targets.append((self._safe_path(str(relative)), bytes(data)))
        return targets

    def _safe_path(self, relative: str) -> Path:
        """The absolute path under the snapshot folder; ValueError (the outbox parks the event) otherwise."""
        if "\x00" in relative or Path(relative).is_absolute():
            raise ValueError(f"snapshot path {relative!r:.120} must be relative to the data directory")
        path = (self._data_dir / relative).resolve()
        if not path.is_relative_to(self._root) or path == self._root:
            raise ValueError(f"snapshot path {relative!r:.120} is outside {SNAPSHOT_DIR}/")
        return path

    def _disk_low(self) -> bool:
        try:
            free = shutil.disk_usage(self._data_dir if self._data_dir.exists() else self._data_dir.parent).free
        except OSError as exc:
            raise SinkUnavailable(f"cannot read the free space of {self._data_dir}: {exc}") from exc
        if free >= self._settings.min_free_mb * MB:
            if self._low_disk_logged:
                log.info("snapshots: free disk space is back (%d MB), writing snapshots again", free // MB)
            self._low_disk_logged = False
            return False
        self._skip_low_disk(f"only {free // MB} MB free, under min_free_mb={self._settings.min_free_mb}")
        return True

    def _skip_low_disk(self, why: str) -> None:
        self._counts["skipped_low_disk"] += 1
        if not self._low_disk_logged:
            log.warning("snapshots: not writing snapshots (%s); events are still delivered", why)
            self._low_disk_logged = True

    def _write(self, path: Path, data: bytes) -> bool:
        """Write atomically; False when the disk filled up (the event is confirmed without its files)."""
        temp = path.with_name(f"{_TEMP_PREFIX}{uuid.uuid4().hex}-{path.name}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
                self._skip_low_disk(f"disk full while writing {path.name}")
                return False
            raise SinkUnavailable(f"cannot write snapshot {path}: {exc}") from exc
        self._counts["written"] += 1
        self._remember(path, len(data))
        return True

    # ---- retention -------------------------------------------------------------------------------

    def _load_index(self) -> deque[_File] | None:
        if self._index is None:
            found: list[_File] = []
            if self._root.exists():
                for path in self._root.rglob("*"):
                    found.extend(self._scan_entry(path))
            found.sort(key=lambda f: f.mtime)
            self._index = deque(found)
            self._sizes = {f.path: f.size for f in found}
            self._total_bytes = sum(self._sizes.values())
        return self._index

    def _scan_entry(self, path: Path) -> list[_File]:
        try:
            if not path.is_file():
                return []
            if path.name.startswith(_TEMP_PREFIX):  # left by a crash mid-write
                path.unlink(missing_ok=True)
                return []
            stat = path.stat()
        except OSError:
            return []
        return [_File(str(path), stat.st_size, stat.st_mtime)]

    def _remember(self, path: Path, size: int) -> None:
        index = self._load_index()
        assert index is not None
        key = str(path)
        if key not in self._sizes:
            index.append(_File(key, size, time.time()))
        self._total_bytes += size - self._sizes.get(key, 0)
        self._sizes[key] = size

    def _prune_locked(self, now: float) -> int:
        index = self._load_index()
        assert index is not None
        max_bytes = self._settings.max_total_mb * MB
        oldest_allowed = now - self._settings.max_age_days * DAY_S
        deleted = 0
        while index and (self._total_bytes > max_bytes or index[0].mtime < oldest_allowed):
            entry = index.popleft()
            self._total_bytes -= self._sizes.pop(entry.path, 0)
            deleted += self._delete(Path(entry.path))
        self._counts["deleted"] += deleted
        return deleted

    def _delete(self, path: Path) -> int:
        try:
            path.unlink()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            log.warning("snapshots: cannot delete %s: %s", path, exc)
            return 0
        parent = path.parent
        if parent != self._root and parent.is_relative_to(self._root):
            with contextlib.suppress(OSError):
                parent.rmdir()  # only succeeds once the day's folder is empty
        return 1
