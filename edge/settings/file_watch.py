"""FileWatcher: calls back (debounced) when one file changes, also when an editor replaces it by rename.

Watches the file's folder with watchdog, so atomic saves (write a temp file, rename it over) are seen.
Two threads, both owned here: the watchdog observer and the debounce thread; ``stop()`` joins both.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)

_CHANGES = {"created", "modified", "moved", "deleted", "closed"}  # not "opened"/"closed_no_write": our own reads


class _Changes(FileSystemEventHandler):
    """Marks the file dirty when an event concerns it (also as the target of a rename)."""

    def __init__(self, name: str, changed: Callable[[], None]) -> None:
        self.name = name
        self.changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        paths = (event.src_path, getattr(event, "dest_path", "") or "")
        if any(os.path.basename(os.fsdecode(p)) == self.name for p in paths):
            self.changed()


class FileWatcher:
    """``on_change()`` runs on the watcher's own thread ``debounce_s`` after the last change of ``path``."""

    def __init__(self, path: Path, on_change: Callable[[], object], *, debounce_s: float = 0.5,
                 name: str = "file") -> None:
        self.path = Path(path)
        self.on_change = on_change
        self.debounce_s = debounce_s
        self.name = name
        self._lock = threading.Lock()
        self._changed_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Any = None

    def start(self) -> None:
        """Raises FileNotFoundError when the file's folder does not exist (nothing to watch)."""
        if self._thread is not None:
            return
        if not self.path.parent.is_dir():
            raise FileNotFoundError(f"{self.path}: directory {self.path.parent} does not exist, cannot watch it")
        self._stop.clear()
        observer = Observer()
        observer.name = f"{self.name}-watch"
        observer.schedule(_Changes(self.path.name, self._mark_changed), str(self.path.parent), recursive=False)
        observer.start()
        self._observer = observer
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._thread.join(timeout=5)
        self._observer = None
        self._thread = None

    def _mark_changed(self) -> None:
        with self._lock:
            self._changed_at = time.monotonic()

    def _run(self) -> None:
        poll = max(min(self.debounce_s / 4, 0.25), 0.02)
        while not self._stop.wait(poll):
            with self._lock:
                due = self._changed_at is not None and time.monotonic() - self._changed_at >= self.debounce_s
                if due:
                    self._changed_at = None
            if due:
                try:
                    self.on_change()
                except Exception:
                    log.exception("%s %s: reload failed", self.name, self.path)
