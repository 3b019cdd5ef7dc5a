"""A folder cameras drop JPEG/PNG snapshots into, watched with watchdog; each complete snapshot becomes a frame."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from edge.domain import Frame, SourceStatus
from edge.settings.cameras import AfterProcessing, SourceKind, SourceSpec, redact_text
from edge.sources.base import SourceOptions
from edge.sources.buffer import FrameQueue
from edge.sources.health import Backoff, SourceHealth
from edge.sources.snapshot import SNAPSHOT_SUFFIXES, SnapshotError, SnapshotIncomplete, decode_snapshot

logger = logging.getLogger(__name__)

PROCESSED_FOLDER = "processed"
SEEN_MEMORY = 10_000  # files remembered as done, so a late event does not read them twice
Signature = tuple[int, int]  # size, mtime_ns


@dataclass
class _Pending:
    closed: bool = False  # the writer closed it (or it was renamed into the folder) after its last change
    signature: Signature | None = None
    changed_at: float = 0.0
    truncated_at: Signature | None = None  # looked truncated at this signature: wait for a change


class _PendingFiles:
    """Snapshots announced by the watcher, in arrival order, until they are complete. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Pending] = {}

    def note(self, path: str, closed: bool) -> None:
        with self._lock:
            self._entries.setdefault(path, _Pending()).closed = closed

    def discard(self, path: str) -> None:
        with self._lock:
            self._entries.pop(path, None)

    def ready(self, settle_time: float) -> list[tuple[str, Signature, _Pending]]:
        """Files closed by their writer or unchanged for ``settle_time``, oldest announcement first."""
        now = time.monotonic()
        with self._lock:
            entries = list(self._entries.items())
        found = []
        for path, entry in entries:
            signature = _signature(path)
            if signature is None:
                self.discard(path)
                continue
            if signature != entry.signature:
                entry.signature, entry.changed_at = signature, now
            if entry.truncated_at == signature and not entry.closed:
                continue
            if entry.closed or now - entry.changed_at >= settle_time:
                found.append((path, signature, entry))
        return found


class _Announcer(FileSystemEventHandler):
    """Runs in the observer's thread: only notes which snapshot files changed."""

    def __init__(self, folder: Path, pending: _PendingFiles, wake: threading.Event) -> None:
        self._folder = folder
        self._pending = pending
        self._wake = wake

    def on_created(self, event: FileSystemEvent) -> None:
        self._note(event.src_path, closed=False, is_directory=event.is_directory)

    def on_modified(self, event: FileSystemEvent) -> None:
        self._note(event.src_path, closed=False, is_directory=event.is_directory)

    def on_closed(self, event: FileSystemEvent) -> None:
        self._note(event.src_path, closed=True, is_directory=event.is_directory)

    def on_moved(self, event: FileSystemEvent) -> None:
        self._pending.discard(os.fsdecode(event.src_path))
        self._note(event.dest_path, closed=True, is_directory=event.is_directory)

    def _note(self, raw: bytes | str, closed: bool, is_directory: bool) -> None:
        path = os.fsdecode(raw)
        if not is_directory and is_snapshot_name(path, self._folder):
            self._pending.note(path, closed)
            self._wake.set()


def is_snapshot_name(path: str, folder: Path) -> bool:
    """A visible .jpg/.jpeg/.png directly inside ``folder`` (not in processed/, not a hidden temp file)."""
    candidate = Path(path)
    return (
        candidate.parent == folder
        and not candidate.name.startswith(".")
        and candidate.suffix.lower() in SNAPSHOT_SUFFIXES
    )


def _signature(path: str) -> Signature | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


class SnapshotFolderSource:
    """Each complete snapshot dropped into a folder becomes a frame, in order, none dropped unless the
    consumer falls ``queue_size`` frames behind. Unreadable files are logged, counted and left in place."""

    def __init__(self, camera: str, spec: SourceSpec, options: SourceOptions | None = None) -> None:
        if spec.kind is not SourceKind.FOLDER:
            raise ValueError("SnapshotFolderSource needs a folder")
        self.camera = camera
        self._folder = Path(spec.location).resolve()
        self._options = options or SourceOptions()
        self._queue = FrameQueue(camera, self._options.queue_size)
        self._health = SourceHealth(camera, str(self._folder))
        self._pending = _PendingFiles()
        self._seen: OrderedDict[str, Signature] = OrderedDict()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._first_watch = True

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"camera {self.camera}: source already started")
        self._thread = threading.Thread(target=self._run, name=f"source-{self.camera}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        self._stop.set()
        self._wake.set()
        self._queue.close()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def latest(self, after_sequence: int = 0, timeout: float = 1.0) -> Frame | None:
        """The next snapshot after ``after_sequence`` (the oldest not yet passed over), waiting up to ``timeout``."""
        return self._queue.latest(after_sequence, timeout)

    def status(self) -> SourceStatus:
        return self._health.status(self._queue)

    @property
    def skipped(self) -> int:
        return self._health.skipped

    @property
    def finished(self) -> bool:
        return False

    # --- the owner thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._watch_until_stopped()
        finally:
            self._health.stopped()

    def _watch_until_stopped(self) -> None:
        backoff = Backoff(self._options.backoff)
        while not self._stop.is_set():
            self._health.attempting()
            try:
                error = self._watch_session(backoff)
            except Exception as exc:  # the thread must survive anything
                logger.debug("camera %s: folder watch failed", self.camera, exc_info=True)
                error = f"folder watch error {type(exc).__name__}: {redact_text(str(exc))[:200]}"
            if error is None:
                return
            delay = backoff.next_delay()
            self._health.down(error, retry_in=delay)
            if self._stop.wait(delay):
                return

    def _watch_session(self, backoff: Backoff) -> str | None:
        """Watch until stopped (None) or until the folder goes away (the error)."""
        if not self._folder.is_dir():
            return "snapshot folder does not exist"
        observer: BaseObserver = Observer()
        observer.name = f"source-{self.camera}-watch"
        observer.schedule(_Announcer(self._folder, self._pending, self._wake), str(self._folder), recursive=False)
        observer.start()
        try:
            self._scan_existing()
            self._health.up()
            backoff.reset()
            return self._serve(observer)
        finally:
            observer.stop()
            observer.join(2.0)

    def _serve(self, observer: BaseObserver) -> str | None:
        poll = max(0.02, min(0.1, self._options.settle_time / 2))
        while not self._stop.is_set():
            self._wake.wait(poll)
            self._wake.clear()
            if not observer.is_alive() or not self._folder.is_dir():
                return "snapshot folder is gone or can no longer be watched"
            for path, signature, entry in self._pending.ready(self._options.settle_time):
                # Back-pressure: the file waits on disk while the consumer catches up; after that the
                # oldest queued frame goes (counted as dropped).
                self._queue.wait_for_room(self._options.queue_wait)
                if self._stop.is_set():
                    return None
                self._take(path, signature, entry)
        return None

    def _scan_existing(self) -> None:
        """Files already there: read them (``process_existing`` or a re-watch) or remember them as old."""
        names = sorted(self._folder.iterdir(), key=lambda p: (_signature(str(p)) or (0, 0))[1])
        for path in names:
            text = str(path)
            signature = _signature(text)
            if signature is None or not path.is_file() or not is_snapshot_name(text, self._folder):
                continue
            if self._first_watch and not self._options.process_existing:
                self._remember(text, signature)
            elif self._seen.get(text) != signature:
                self._pending.note(text, closed=False)
        self._first_watch = False

    def _take(self, path: str, signature: Signature, entry: _Pending) -> None:
        """Decode one ready snapshot into a frame, or skip it with a log line; never raises."""
        name = redact_text(Path(path).name)
        if self._seen.get(path) == signature:
            self._pending.discard(path)
            return
        try:
            image = decode_snapshot(self._read(path, signature), self._options.max_pixels)
        except SnapshotIncomplete as exc:
            if entry.closed or self._waited_long(entry):
                self._reject(path, signature, name, str(exc))
            else:
                entry.truncated_at = signature  # still being written: look again when it changes
            return
        except SnapshotError as exc:
            self._reject(path, signature, name, str(exc))
            return
        except OSError as exc:
            self._reject(path, signature, name, f"cannot be read ({exc.strerror or type(exc).__name__})")
            return
        self._pending.discard(path)
        self._remember(path, signature)
        self._queue.put(image, captured_at=signature[1] / 1e9)
        self._health.up()
        self._dispose(path, name)

    def _read(self, path: str, signature: Signature) -> bytes:
        if signature[0] > self._options.max_file_bytes:
            raise SnapshotError(f"file of {signature[0]} bytes is over the limit of {self._options.max_file_bytes}")
        with open(path, "rb") as handle:
            return handle.read(self._options.max_file_bytes + 1)

    def _waited_long(self, entry: _Pending) -> bool:
        return time.monotonic() - entry.changed_at >= max(5.0, 10 * self._options.settle_time)

    def _reject(self, path: str, signature: Signature, name: str, reason: str) -> None:
        self._pending.discard(path)
        self._remember(path, signature)
        self._health.skipped_one()
        logger.warning("camera %s: skipped snapshot %s: %s", self.camera, name, reason)

    def _remember(self, path: str, signature: Signature) -> None:
        self._seen[path] = signature
        self._seen.move_to_end(path)
        while len(self._seen) > SEEN_MEMORY:
            self._seen.popitem(last=False)

    def _dispose(self, path: str, name: str) -> None:
        try:
            if self._options.after is AfterProcessing.DELETE:
                os.unlink(path)
            elif self._options.after is AfterProcessing.MOVE:
                target = self._folder / PROCESSED_FOLDER
                target.mkdir(exist_ok=True)
                os.replace(path, target / Path(path).name)
        except OSError as exc:
            logger.warning("camera %s: could not %s snapshot %s: %s", self.camera, self._options.after.value, name,
                           exc.strerror or type(exc).__name__)
