"""The history sink: each event becomes (or updates) its row in the history database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from edge.domain import PlateEvent, SinkUnavailable
from edge.storage.errors import DatabaseUnavailable
from edge.storage.history import HistoryRepository
from edge.storage.migrations import migrate

log = logging.getLogger(__name__)

SNAPSHOT_ATTACHMENT = "snapshot"


class HistorySink:
    """EventSink ``history``: upserts the event by id (redelivery is harmless).

    The schema is migrated on the first delivery, so the daemon starts while the database is down.
    With ``store_blobs``, the ``snapshot`` attachment goes into ``images`` and the row links it.
    A database that is down or too slow raises SinkUnavailable (the outbox keeps the event); a row the
    database refuses (InvalidRecord, ConstraintViolation) raises as it is, and the outbox parks it.
    """

    name = "history"

    def __init__(self, repository: HistoryRepository, store_blobs: bool = False) -> None:
        self._repository = repository
        self._store_blobs = store_blobs
        self._schema_lock = threading.Lock()

    def deliver(self, event: PlateEvent, attachments: Mapping[str, bytes]) -> None:
        try:
            self._ensure_schema()
            image = attachments.get(SNAPSHOT_ATTACHMENT) if self._store_blobs else None
            if image:
                self._repository.upsert_event_with_image(event, image)
            else:
                self._repository.upsert_event(event)
        except DatabaseUnavailable as exc:
            raise SinkUnavailable(str(exc)) from exc

    def _ensure_schema(self) -> None:
        database = self._repository.database
        if database.schema_version is not None:
            return
        with self._schema_lock:
            if database.schema_version is None:
                migrate(database)
