"""Where log lines go: the journal (with levels) under systemd, else timestamped lines on stderr, plus an
optional rotating file; every line passes a filter that hides credentials as a last line of defence.

Under systemd, stderr is the journal's stream (``$JOURNAL_STREAM`` names it): lines carry a ``<N>`` syslog
priority prefix (journald's SyslogLevelPrefix) and no timestamp (the journal adds its own).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

LOG_FILE = "carwatch-edge.log"
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"
LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR,
          "CRITICAL": logging.CRITICAL}

# Bounded repetitions keep every pattern linear on hostile input (a megabyte without spaces).
_URL_CREDENTIALS = re.compile(r"(?P<head>://[^\s/@:]{0,256}:)[^\s/]{0,512}@")
_SECRET_VALUE = re.compile(
    r"(?i)(?P<key>(?:password|passwd|secret|token|api[_-]?key)[\w-]{0,40})"
    r"(?P<sep>[\"']?\s{0,3}[:=]\s{0,3})"
    r"(?:(?P<quote>[\"'])[^\"'\n]{0,1024}(?P=quote)|[^\s\"',;&)}\]]+)")
_AUTHORIZATION = re.compile(
    r"(?i)(?P<key>\b(?:proxy-)?authorization)(?P<sep>[\"']?\s{0,3}[:=]\s{0,3}[\"']?)"
    r"(?P<scheme>(?:bearer|basic|digest|token)\s{1,3})?[^\s\"',;]+")
_BEARER = re.compile(r"(?i)\b(?P<scheme>bearer\s{1,3})[A-Za-z0-9._~+/=-]{8,}")


def _secret(match: re.Match[str]) -> str:
    quote = match.group("quote") or ""
    return f"{match.group('key')}{match.group('sep')}{quote}***{quote}"


def redact(text: str) -> str:
    """``text`` with URL passwords (``user:***@``), ``password=***`` style values and HTTP credentials hidden."""
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('head')}***@", text)
    text = _SECRET_VALUE.sub(_secret, text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group('key')}{m.group('sep')}{m.group('scheme') or ''}***", text)
    return _BEARER.sub(lambda m: f"{m.group('scheme')}***", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack text with :func:`redact` (attach to handlers:
    a handler's filters see every record, a logger's only those logged on it directly)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-arguments: leave the record to logging's own error report
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def syslog_priority(levelno: int) -> int:
    """syslog priority of a logging level: ERROR 3, WARNING 4, INFO 6, DEBUG 7 (CRITICAL 2)."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    return 6 if levelno >= logging.INFO else 7


class JournalFormatter(logging.Formatter):
    """``<N>name: message``; every line of a multi-line record (a traceback) carries the prefix, as journald
    stores each line as an entry of its own."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in (super().format(record).splitlines() or [""]))


def journal_attached(environ: Mapping[str, str] | None = None, stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (stderr) is the journal stream systemd set up (``$JOURNAL_STREAM`` is ``dev:inode``
    of it; a child that inherited the variable but writes elsewhere gets plain lines)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):  # closed, or not a real file (pytest's capture)
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


def logs_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """The unit's ``LogsDirectory=`` (``$LOGS_DIRECTORY``), None when not run by systemd."""
    value = (os.environ if environ is None else environ).get("LOGS_DIRECTORY", "").split(":")[0]
    return Path(value) if value else None


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    try:
        return LEVELS[level.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown log level {level[:20]!r}: use DEBUG, INFO, WARNING or ERROR") from None


def configure_logging(level: str | int, *, journal: bool | None = None, log_dir: Path | None = None,
                      stream: IO[str] | None = None) -> list[logging.Handler]:
    """Replace the root logger's handlers: stderr (journal lines when ``journal`` is true, or when None and
    :func:`journal_attached`), plus ``log_dir/carwatch-edge.log`` rotated at 10 MB x 5 when ``log_dir`` is
    given. A log file that cannot be opened is reported and skipped. Returns the new handlers."""
    root = logging.getLogger()
    root.setLevel(_level(level))
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    output = stream or sys.stderr
    to_journal = journal_attached(stream=output) if journal is None else journal
    console = logging.StreamHandler(output)
    console.setFormatter(JournalFormatter() if to_journal else logging.Formatter(PLAIN_FORMAT))
    handlers: list[logging.Handler] = [console]
    problem = None
    if log_dir is not None:
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.handlers.RotatingFileHandler(
                log_dir / LOG_FILE, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"))
            handlers[-1].setFormatter(logging.Formatter(PLAIN_FORMAT))
        except OSError as exc:
            problem = exc
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    if problem is not None:
        logging.getLogger(__name__).warning("no log file in %s: %s", log_dir, problem)
    return handlers
