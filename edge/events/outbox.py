"""The durable outbox between the pipeline and its sinks, and one drainer thread per sink.

``EventOutbox`` is a SQLite file in WAL mode. ``put`` stores the event, its attachments and one pending
delivery per registered sink in one transaction; each sink's ``OutboxDrainer`` delivers its items in put
order and confirms them; once every sink confirmed an item, the item and its attachments are deleted.

Durability: ``synchronous=FULL`` with WAL. Every commit fsyncs the write-ahead log, so an event whose
``put`` returned survives kill -9 *and* a power cut. ``NORMAL`` in WAL mode survives a process crash but
may roll back the last commits on power loss, and power cuts are the common failure of an edge box;
the price is one fsync per event (a few a minute), which is nothing next to a lost gate event.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.domain import EventSink, PlateEvent, SinkUnavailable
from edge.settings.storage import OutboxSettings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_ERROR_CHARS = 2000
MAX_ATTACHMENT_NAME = 64

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS attachments (
        item_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (item_id, name)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS deliveries (
        sink TEXT NOT NULL,
        item_id INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (sink, item_id)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS deliveries_by_item ON deliveries (item_id)",
    """CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id INTEGER NOT NULL,
        sink TEXT NOT NULL,
        event_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        parked_at REAL NOT NULL)""",
)


class OutboxError(Exception):
    """The outbox file cannot be written or read (read-only, corrupt, I/O error)."""


class OutboxFull(OutboxError):
    """The disk (or the configured size limit) is full: retry without attachments, then give up."""


@dataclass(frozen=True)
class OutboxItem:
    """One event waiting for one sink."""

    item_id: int  # increases in put order
    event: PlateEvent
    attachments: Mapping[str, bytes]
    attempts: int  # failures so far at this sink (SinkUnavailable does not count)
    created_at: float  # wall clock of put()


@dataclass(frozen=True)
class DeadLetter:
    """An event a sink failed on ``max_attempts`` times, parked so that the queue moves on."""

    id: int
    item_id: int
    sink: str
    event_id: str
    payload: str  # the event JSON (attachments are not kept)
    error: str
    attempts: int
    parked_at: float


def _error_name(exc: sqlite3.Error) -> str:
    return str(getattr(exc, "sqlite_errorname", ""))


def classify_sqlite_error(exc: sqlite3.Error, path: Path, action: str) -> OutboxError:
    """The outbox exception for a SQLite error: OutboxFull for a full disk or size limit."""
    name = _error_name(exc)
    if name == "SQLITE_FULL" or "full" in str(exc).lower():
        return OutboxFull(f"outbox {path} is full while {action}: {exc}")
    if name.startswith("SQLITE_READONLY") or "readonly" in str(exc).lower():
        return OutboxError(f"outbox {path} is read-only while {action}: {exc}")
    return OutboxError(f"outbox {path} failed while {action}: {exc}")


def _is_corrupt(exc: sqlite3.Error) -> bool:
    return _error_name(exc) in {"SQLITE_NOTADB", "SQLITE_CORRUPT"} or "not a database" in str(exc)


class EventOutbox:
    """Events waiting for their sinks, in a SQLite file; safe to share between threads (one lock).

    ``sinks`` are the names of the sinks that must each confirm an event before it is deleted.
    ``max_bytes`` caps the file size (``None``: the disk is the limit); a put beyond it raises OutboxFull.
    A file that is not a SQLite database is renamed ``<name>.corrupt-<time>`` and a new one started
    (``quarantine_corrupt``), so a damaged file does not keep the gate daemon from starting.
    """

    def __init__(
        self,
        path: Path,
        sinks: Sequence[str],
        *,
        max_attempts: int = 5,
        max_bytes: int | None = None,
        busy_timeout_s: float = 5.0,
        quarantine_corrupt: bool = True,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if len(set(sinks)) != len(sinks) or not all(isinstance(s, str) and s for s in sinks):
            raise ValueError(f"sink names must be distinct non-empty strings, got {list(sinks)!r}")
        self.path = Path(path)
        self.max_attempts = max_attempts
        self._sinks = tuple(sinks)
        self._lock = threading.RLock()
        self._wakers: dict[str, list[threading.Event]] = {name: [] for name in self._sinks}
        self._connection = self._open(max_bytes, busy_timeout_s, quarantine_corrupt)

    @classmethod
    def from_settings(cls, settings: OutboxSettings, data_dir: Path, sinks: Sequence[str]) -> EventOutbox:
        return cls(settings.path(data_dir), sinks, max_attempts=settings.max_attempts,
                   max_bytes=settings.max_bytes())

    # ---- opening ---------------------------------------------------------------------------------

    def _open(self, max_bytes: int | None, busy_timeout_s: float, quarantine: bool) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect(max_bytes, busy_timeout_s)
        except sqlite3.Error as exc:
            if not (quarantine and _is_corrupt(exc)):
                raise classify_sqlite_error(exc, self.path, "opening") from exc
            self._quarantine(exc)
        except OSError as exc:
            raise OutboxError(f"outbox {self.path} cannot be created: {exc}") from exc
        try:
            return self._connect(max_bytes, busy_timeout_s)
        except sqlite3.Error as exc:
            raise classify_sqlite_error(exc, self.path, "opening") from exc

    def _connect(self, max_bytes: int | None, busy_timeout_s: float) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise OutboxError(f"outbox {self.path}: the file system does not support WAL (mode {mode})")
            connection.execute("PRAGMA synchronous=FULL")
            if max_bytes is not None:
                page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
                connection.execute(f"PRAGMA max_page_count={max(1, int(max_bytes) // page_size)}")
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.close()
            raise
        return connection

    def _quarantine(self, exc: sqlite3.Error) -> None:
        suffix = f".corrupt-{int(time.time())}"
        for extra in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{extra}")
            if source.exists():
                source.rename(Path(f"{self.path}{suffix}{extra}"))
        log.error("outbox %s is not a usable database (%s): moved aside as %s%s, starting empty",
                  self.path, exc, self.path.name, suffix)

    # ---- transactions ----------------------------------------------------------------------------

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self._connection
                    self._connection.execute("COMMIT")
                except BaseException:
                    if self._connection.in_transaction:
                        self._connection.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise classify_sqlite_error(exc, self.path, action) from exc

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._connection.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise classify_sqlite_error(exc, self.path, "reading") from exc

    def _check_sink(self, sink: str) -> None:
        if sink not in self._wakers:
            raise ValueError(f"sink {sink!r} is not registered with the outbox (registered: {list(self._sinks)})")

    # ---- the pipeline side -----------------------------------------------------------------------

    @property
    def sinks(self) -> tuple[str, ...]:
        return self._sinks

    def put(self, event: PlateEvent, attachments: Mapping[str, bytes] | None = None) -> int:
        """Store the event, its attachments and one delivery per sink; durable when it returns.

        Returns the item id. Raises OutboxFull when the disk or size limit is reached (retry with
        ``attachments={}``), OutboxError when the file cannot be written.
        """
        files = _checked_attachments(attachments or {})
        payload = json.dumps(event.to_dict(), ensure_ascii=False)
        with self._write(f"storing event {event.event_id}") as db:
            cursor = db.execute(
                "INSERT INTO items (event_id, revision, payload, created_at) VALUES (?, ?, ?, ?)",
                (event.event_id, event.revision, payload, time.time()),
            )
            item_id = int(cursor.lastrowid or 0)
            db.executemany("INSERT INTO attachments (item_id, name, data) VALUES (?, ?, ?)",
                           [(item_id, name, data) for name, data in files.items()])
            db.executemany("INSERT INTO deliveries (sink, item_id) VALUES (?, ?)",
                           [(sink, item_id) for sink in self._sinks])
            if not self._sinks:
                _delete_item(db, item_id)
        self._wake_all()
        return item_id

    def waker(self, sink: str) -> threading.Event:
        """An event set whenever work arrives for ``sink`` (a drainer waits on it instead of polling)."""
        self._check_sink(sink)
        event = threading.Event()
        with self._lock:
            self._wakers[sink].append(event)
        return event

    def _wake_all(self) -> None:
        with self._lock:
            for events in self._wakers.values():
                for event in events:
                    event.set()

    # ---- the sink side ---------------------------------------------------------------------------

    def pending(self, sink: str, limit: int = 16) -> list[OutboxItem]:
        """The oldest ``limit`` items not yet confirmed by ``sink``, in put order."""
        self._check_sink(sink)
        rows = self._read(
            "SELECT i.id, i.payload, i.created_at, d.attempts FROM deliveries d JOIN items i ON i.id = d.item_id "
            "WHERE d.sink = ? ORDER BY d.item_id LIMIT ?",
            (sink, max(1, int(limit))),
        )
        files = self._attachments([int(row[0]) for row in rows])
        items: list[OutboxItem] = []
        for item_id, payload, created_at, attempts in rows:
            try:
                event = PlateEvent.from_dict(json.loads(payload))
            except (ValueError, KeyError, TypeError) as exc:
                self._park(sink, int(item_id), f"unreadable event record: {exc!r}", int(attempts))
                continue
            items.append(OutboxItem(int(item_id), event, files.get(int(item_id), {}), int(attempts), float(created_at)))
        return items

    def _attachments(self, item_ids: list[int]) -> dict[int, dict[str, bytes]]:
        if not item_ids:
            return {}
        marks = ",".join("?" * len(item_ids))
        found: dict[int, dict[str, bytes]] = {}
        for item_id, name, data in self._read(
            f"SELECT item_id, name, data FROM attachments WHERE item_id IN ({marks})", item_ids
        ):
            found.setdefault(int(item_id), {})[str(name)] = bytes(data)
        return found

    def confirm(self, sink: str, item_id: int) -> None:
        """``sink`` delivered the item; the item is deleted once every sink did. Idempotent."""
        self._check_sink(sink)
        with self._write(f"confirming item {item_id}") as db:
            db.execute("DELETE FROM deliveries WHERE sink = ? AND item_id = ?", (sink, item_id))
            _delete_if_done(db, item_id)

    def record_failure(self, sink: str, item_id: int, error: str) -> bool:
        """Count a failure (not SinkUnavailable) of ``sink`` on the item; park it after ``max_attempts``.

        Returns True when the item was parked in the dead-letter table (the queue moves on).
        """
        self._check_sink(sink)
        with self._write(f"recording a failure of item {item_id}") as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ? WHERE sink = ? AND item_id = ?",
                (error[:MAX_ERROR_CHARS], sink, item_id),
            )
            row = db.execute("SELECT attempts FROM deliveries WHERE sink = ? AND item_id = ?",
                             (sink, item_id)).fetchone()
        if row is None or int(row[0]) < self.max_attempts:
            return False
        self._park(sink, item_id, error, int(row[0]))
        return True

    def _park(self, sink: str, item_id: int, error: str, attempts: int) -> None:
        with self._write(f"parking item {item_id}") as db:
            row = db.execute("SELECT event_id, payload FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                return
            db.execute(
                "INSERT INTO dead_letters (item_id, sink, event_id, payload, error, attempts, parked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (item_id, sink, row[0], row[1], error[:MAX_ERROR_CHARS], attempts, time.time()),
            )
            db.execute("DELETE FROM deliveries WHERE sink = ? AND item_id = ?", (sink, item_id))
            _delete_if_done(db, item_id)
        log.error("outbox: sink %s failed %d times on event %s (item %d), parked as a dead letter: %s",
                  sink, attempts, row[0], item_id, error[:MAX_ERROR_CHARS])

    # ---- health and maintenance ------------------------------------------------------------------

    def depth(self) -> dict[str, int]:
        """Items waiting per registered sink."""
        counts = dict.fromkeys(self._sinks, 0)
        for sink, count in self._read("SELECT sink, COUNT(*) FROM deliveries GROUP BY sink"):
            if sink in counts:
                counts[sink] = int(count)
        return counts

    def dead_letter_counts(self) -> dict[str, int]:
        """Items parked per sink (registered sinks always present)."""
        counts = dict.fromkeys(self._sinks, 0)
        for sink, count in self._read("SELECT sink, COUNT(*) FROM dead_letters GROUP BY sink"):
            counts[str(sink)] = int(count)
        return counts

    def dead_letters(self, sink: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """The most recently parked items, newest first."""
        where, params = ("WHERE sink = ?", [sink]) if sink is not None else ("", [])
        rows = self._read(
            "SELECT id, item_id, sink, event_id, payload, error, attempts, parked_at FROM dead_letters "
            f"{where} ORDER BY id DESC LIMIT ?",
            [*params, max(1, int(limit))],
        )
        return [DeadLetter(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6]), float(r[7]))
                for r in rows]

    def unregistered_backlog(self) -> dict[str, int]:
        """Deliveries left in the file for sinks no longer registered (a sink removed from the config)."""
        rows = self._read("SELECT sink, COUNT(*) FROM deliveries GROUP BY sink")
        return {str(sink): int(count) for sink, count in rows if sink not in self._wakers}

    def drop_sink(self, sink: str) -> int:
        """Forget every delivery for a sink that is no longer registered; returns how many were dropped."""
        if sink in self._wakers:
            raise ValueError(f"sink {sink!r} is registered: stop using it before dropping its backlog")
        with self._write(f"dropping the backlog of sink {sink}") as db:
            item_ids = [int(r[0]) for r in db.execute("SELECT item_id FROM deliveries WHERE sink = ?", (sink,))]
            db.execute("DELETE FROM deliveries WHERE sink = ?", (sink,))
            for item_id in item_ids:
                _delete_if_done(db, item_id)
        log.warning("outbox: dropped %d undelivered events of removed sink %s", len(item_ids), sink)
        return len(item_ids)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _checked_attachments(attachments: Mapping[str, bytes]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, data in attachments.items():
        if not isinstance(name, str) or not name or len(name) > MAX_ATTACHMENT_NAME:
            raise ValueError(f"attachment names must be 1..{MAX_ATTACHMENT_NAME} characters, got {name!r:.80}")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"attachment {name!r} must be bytes, got {type(data).__name__}")
        files[name] = bytes(data)
    return files


def _delete_if_done(db: sqlite3.Connection, item_id: int) -> None:
    if db.execute("SELECT 1 FROM deliveries WHERE item_id = ? LIMIT 1", (item_id,)).fetchone() is None:
        _delete_item(db, item_id)


def _delete_item(db: sqlite3.Connection, item_id: int) -> None:
    db.execute("DELETE FROM attachments WHERE item_id = ?", (item_id,))
    db.execute("DELETE FROM items WHERE id = ?", (item_id,))


# ---------------------------------------------------------------------------------------------
# One drainer thread per sink
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrainerStats:
    """What a drainer reports for health and metrics."""

    sink: str
    running: bool
    delivered: int
    failed: int  # deliveries that raised something other than SinkUnavailable
    retries: int  # SinkUnavailable (and outbox errors) retried after a backoff
    parked: int
    last_error: str
    last_error_at: float | None  # wall clock
    backoff_s: float  # the next wait after a failure


class OutboxDrainer:
    """Delivers one sink's outbox items in order on its own thread, ``outbox-<sink>``.

    Wakes at once when ``put`` adds work; SinkUnavailable is retried forever with capped exponential
    backoff (``retry_initial_s`` doubling to ``retry_max_s``); other exceptions count towards parking.
    ``stop(deadline)`` keeps delivering until the sink's queue is empty or the deadline passes.
    """

    def __init__(
        self,
        outbox: EventOutbox,
        sink: EventSink,
        stop_timeout: float = 10.0,
        *,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
        batch: int = 16,
        idle_wait_s: float = 60.0,
    ) -> None:
        self._outbox = outbox
        self._sink = sink
        self._stop_timeout = stop_timeout
        self._retry_initial = retry_initial_s
        self._retry_max = max(retry_max_s, retry_initial_s)
        self._batch = batch
        self._idle_wait = idle_wait_s
        self._wake = outbox.waker(sink.name)
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._deadline = float("inf")
        self._delay = retry_initial_s
        self._stats_lock = threading.Lock()
        self._counts = {"delivered": 0, "failed": 0, "retries": 0, "parked": 0}
        self._last_error = ""
        self._last_error_at: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"outbox-{sink.name}", daemon=True)

    @classmethod
    def from_settings(cls, outbox: EventOutbox, sink: EventSink, settings: OutboxSettings) -> OutboxDrainer:
        return cls(outbox, sink, settings.stop_timeout_s, retry_initial_s=settings.retry_initial_s,
                   retry_max_s=settings.retry_max_s, batch=settings.batch)

    @property
    def name(self) -> str:
        return self._thread.name

    def start(self) -> None:
        self._thread.start()

    def stop(self, deadline: float | None = None) -> bool:
        """Deliver what is left until empty or ``deadline`` (a ``time.monotonic()`` value; default now +
        stop_timeout), then join. Returns True when the thread ended in time."""
        self._deadline = time.monotonic() + self._stop_timeout if deadline is None else deadline
        self._stopping.set()
        self._wake.set()
        if not self._thread.is_alive():
            return True
        self._thread.join(max(0.0, self._deadline - time.monotonic()))
        if self._thread.is_alive():
            self._abort.set()
            self._thread.join(1.0)
        if self._thread.is_alive():
            log.warning("outbox drainer %s did not finish by its deadline (a delivery is still blocked)", self.name)
            return False
        return True

    def stats(self) -> DrainerStats:
        with self._stats_lock:
            return DrainerStats(
                sink=self._sink.name, running=self._thread.is_alive(), delivered=self._counts["delivered"],
                failed=self._counts["failed"], retries=self._counts["retries"], parked=self._counts["parked"],
                last_error=self._last_error, last_error_at=self._last_error_at, backoff_s=self._delay,
            )

    # ---- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        log.debug("outbox drainer %s started", self.name)
        while not self._past_deadline():
            self._wake.clear()
            try:
                items = self._outbox.pending(self._sink.name, self._batch)
            except OutboxError as exc:
                self._note("retries", f"outbox: {exc}")
                self._backoff()
                continue
            if not items:
                if self._stopping.is_set():
                    break
                self._wake.wait(self._idle_wait)
                continue
            self._deliver_batch(items)
        left = self._safe_depth()
        if left:
            log.warning("outbox drainer %s stopped with %d events left for the next start", self.name, left)
        log.debug("outbox drainer %s stopped", self.name)

    def _deliver_batch(self, items: list[OutboxItem]) -> None:
        for item in items:
            if self._past_deadline() or not self._deliver_one(item):
                return

    def _deliver_one(self, item: OutboxItem) -> bool:
        """True when the queue may move on to the next item."""
        try:
            self._sink.deliver(item.event, item.attachments)
        except SinkUnavailable as exc:
            self._note("retries", f"{type(exc).__name__}: {exc}")
            self._backoff()
            return False
        except Exception as exc:  # a bug for this event in this sink: counted, then parked
            return self._failed(item, exc)
        try:
            self._outbox.confirm(self._sink.name, item.item_id)
        except OutboxError as exc:
            self._note("retries", f"outbox: {exc}")
            self._backoff()
            return False
        self._note("delivered")
        self._delay = self._retry_initial
        return True

    def _failed(self, item: OutboxItem, exc: Exception) -> bool:
        error = f"{type(exc).__name__}: {exc}"
        self._note("failed", error)
        log.warning("sink %s failed on event %s (attempt %d of %d): %s", self._sink.name, item.event.event_id,
                    item.attempts + 1, self._outbox.max_attempts, error, exc_info=exc)
        try:
            parked = self._outbox.record_failure(self._sink.name, item.item_id, error)
        except OutboxError as outbox_exc:
            self._note("retries", f"outbox: {outbox_exc}")
            parked = False
        if parked:
            self._note("parked")
            self._delay = self._retry_initial
            return True
        self._backoff()
        return False

    def _note(self, counter: str, error: str = "") -> None:
        with self._stats_lock:
            self._counts[counter] += 1
            if error:
                self._last_error = error[:MAX_ERROR_CHARS]
                self._last_error_at = time.time()

    def _backoff(self) -> None:
        delay = self._delay
        self._delay = min(self._delay * 2, self._retry_max)
        if self._stopping.is_set():
            self._abort.wait(max(0.0, min(delay, self._deadline - time.monotonic())))
        else:
            self._stopping.wait(delay)  # stop() interrupts the wait: one more try while draining

    def _past_deadline(self) -> bool:
        return self._abort.is_set() or (self._stopping.is_set() and time.monotonic() >= self._deadline)

    def _safe_depth(self) -> int:
        try:
            return self._outbox.depth().get(self._sink.name, 0)
        except OutboxError:
            return 0
