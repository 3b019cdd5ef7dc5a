"""Plate lists from one TOML file: load, save (atomically) and hot reload with a watchdog observer.

A malformed file never replaces good lists: the store keeps the previous ones, logs one line and
exposes the problem as ``last_error`` until a good file is loaded. The directory is watched (not the
file) so editors that save by writing a temporary file and renaming it over the original are seen.
The format is described in :mod:`edge.settings.plate_lists` and config/plates.example.toml.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.settings.file_watch import FileWatcher
from edge.settings.plate_lists import PlateLists, render_plate_lists

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 16 * 1024 * 1024
_MAX_ERRORS_SHOWN = 5


class PlateListError(ValueError):
    """The plate lists file cannot be used; the message names the file, the entry, the field and the problem."""


def parse_plate_lists(text: str, source: str = "<text>") -> PlateLists:
    """Validate TOML text in the plate lists format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlateListError(f"{source}: not valid TOML: {exc}") from None
    try:
        return PlateLists.model_validate(data)
    except ValidationError as exc:
        raise PlateListError(f"{source}: {describe_errors(exc, data)}") from None


def describe_errors(exc: ValidationError, data: dict[str, Any]) -> str:
    """One line: where each problem is (``allow[3] (B58DTK).hours[1]``) and what it is."""
    parts = []
    for error in exc.errors()[:_MAX_ERRORS_SHOWN]:
        parts.append(f"{_location(error['loc'], data)}: {_message(error)}")
    hidden = len(exc.errors()) - _MAX_ERRORS_SHOWN
    if hidden > 0:
        parts.append(f"and {hidden} more")
    return "; ".join(parts)


def _location(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    if not loc:
        return "file"
    text = str(loc[0])
    if len(loc) > 1 and isinstance(loc[1], int):
        text += f"[{loc[1]}]"
        entries = data.get(str(loc[0]))
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        if isinstance(entry, dict) and isinstance(entry.get("plate"), str):
            text += f" ({entry['plate'][:20]})"
        loc = loc[1:]
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def read_plate_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing files larger than ``max_bytes``."""
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise PlateListError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise PlateListError(f"{path}: larger than {max_bytes} bytes, refused")
    return data


def decode_plate_file(data: bytes, path: Path) -> PlateLists:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlateListError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_plate_lists(text, str(path))


def load_plate_lists(path: Path, max_bytes: int = MAX_FILE_BYTES) -> PlateLists:
    """Read and validate a plate lists file; raises :class:`PlateListError`."""
    return decode_plate_file(read_plate_file(path, max_bytes), path)


def save_plate_lists(lists: PlateLists, path: Path) -> None:
    """Write ``lists`` to ``path`` atomically (temporary file, fsync, rename); the old file stays on failure."""
    text = render_plate_lists(lists)
    if parse_plate_lists(text, "rendered lists") != lists:
        raise PlateListError(f"{path}: the lists do not survive a round trip through TOML, not written")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class PlateListStore:
    """The current plate lists of one file, reloaded when the file changes.

    ``lists`` may be read from any thread. ``start()`` starts the watchdog observer and the debounced
    reload thread; ``stop()`` stops and joins both.
    """

    def __init__(self, path: Path, *, debounce_s: float = 0.5, max_bytes: int = MAX_FILE_BYTES,
                 on_change: Callable[[PlateLists], None] | None = None) -> None:
        self.path = Path(path)
        self.debounce_s = debounce_s
        self.max_bytes = max_bytes
        self.on_change = on_change
        self._lock = threading.Lock()
        self._lists = PlateLists()
        self._last_error: str | None = None
        self._seen_digest = ""
        self._watcher: FileWatcher | None = None

    @property
    def lists(self) -> PlateLists:
        return self._lists

    @property
    def last_error(self) -> str | None:
        """Why the newest version of the file was refused; None when the file in force is the newest."""
        return self._last_error

    def load(self) -> PlateLists:
        """First load: a missing file gives empty lists; a malformed one raises :class:`PlateListError`."""
        if not self.path.exists():
            log.info("plate lists %s do not exist yet: all lists are empty", self.path)
            return self._lists
        try:
            data = read_plate_file(self.path, self.max_bytes)
            lists = decode_plate_file(data, self.path)
        except PlateListError as exc:
            with self._lock:
                self._last_error = str(exc)  # shown by the daemon's status until a good file is loaded
            raise
        self._accept(lists, _digest(data))
        return lists

    def reload(self) -> bool:
        """Load the file again if it changed; True when new lists took effect. Keeps the old lists on error."""
        try:
            data = read_plate_file(self.path, self.max_bytes)
        except PlateListError as exc:
            self._refuse(str(exc), "")
            return False
        digest = _digest(data)
        if digest == self._seen_digest:
            return False
        try:
            lists = decode_plate_file(data, self.path)
        except PlateListError as exc:
            self._refuse(str(exc), digest)
            return False
        self._accept(lists, digest)
        return True

    def save(self, lists: PlateLists) -> None:
        """Write ``lists`` to the file atomically and put them in force."""
        save_plate_lists(lists, self.path)
        self._accept(lists, _digest(self.path.read_bytes()))

    def start(self) -> None:
        """Watch the file (threads ``plate-lists-watch`` and ``plate-lists-reload``)."""
        if self._watcher is not None:
            return
        watcher = FileWatcher(self.path, self.reload, debounce_s=self.debounce_s, name="plate-lists")
        try:
            watcher.start()
        except FileNotFoundError as exc:
            raise PlateListError(str(exc)) from None
        self._watcher = watcher

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _accept(self, lists: PlateLists, digest: str) -> None:
        with self._lock:
            self._lists = lists
            self._seen_digest = digest
            self._last_error = None
        log.info("plate lists %s in force: %s allow, %s deny, %s watch", self.path, len(lists.allow),
                 len(lists.deny), len(lists.watch))
        if self.on_change is not None:
            self.on_change(lists)

    def _refuse(self, error: str, digest: str) -> None:
        # Logged first: whoever sees last_error set (the status, a test) also finds the log line.
        log.error("plate lists not reloaded, the previous lists stay in force: %s", error)
        with self._lock:
            self._last_error = error
            self._seen_digest = digest


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
