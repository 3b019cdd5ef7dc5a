"""Log lines for the journal (levels, no timestamps) or a terminal, a rotating file, and credentials hidden."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.service.logging_setup import (
    LOG_FILE,
    RedactingFilter,
    configure_logging,
    journal_attached,
    logs_directory,
    redact,
    syslog_priority,
)

SECRET = "Sup3r-S3cret"


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


# ---- redaction ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("rtsp://admin:Sup3r-S3cret@192.168.1.64:554/Streaming", "rtsp://admin:***@192.168.1.64:554/Streaming"),
    ("mysql://carwatch:p@ss@word@db:3306/carwatch", "mysql://carwatch:***@db:3306/carwatch"),
    ("mqtts://:token@broker:8883", "mqtts://:***@broker:8883"),
    ("a rtsp://u:one@h1/x and mqtt://v:two@h2 end", "a rtsp://u:***@h1/x and mqtt://v:***@h2 end"),
    ("http://user@host/path", "http://user@host/path"),
    ("http://host:8080/path?a=b", "http://host:8080/path?a=b"),
    ("password=Sup3r-S3cret other", "password=*** other"),
    ("mqtt.password = 'Sup3r S3cret'", "mqtt.password = '***'"),
    ('{"password": "Sup3r S3cret", "user": "x"}', '{"password": "***", "user": "x"}'),
    ("CARWATCH_MQTT__PASSWORD=Sup3r-S3cret", "CARWATCH_MQTT__PASSWORD=***"),
    ("api_key: abcdef123456", "api_key: ***"),
    ("refresh_token=abc.def.ghi&x=1", "refresh_token=***&x=1"),
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer ***"),
    ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic ***"),
    ("sent bearer abcdefghijklmnopqrst to x", "sent bearer *** to x"),
    ("broker refused: bad user name or password", "broker refused: bad user name or password"),
    ("camera entry: 5 frames, 0 dropped", "camera entry: 5 frames, 0 dropped"),
])
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # idempotent


def test_redact_hostile_input_completes() -> None:
    for text in ["a" * 1_000_000, "://a:" * 200_000, "password=" * 100_000, "x://" + "a:" * 300_000 + "@",
                 ("rtsp://u:" + "p" * 600 + "@h ") * 1000, "\x00\udcff" * 1000]:
        assert isinstance(redact(text), str)
    assert SECRET not in redact(f"rtsp://u:{SECRET}@h " * 10_000)


# ---- the journal and the terminal -------------------------------------------------------------

def test_syslog_priorities() -> None:
    assert [syslog_priority(level) for level in (50, 40, 30, 20, 10, 5, 35)] == [2, 3, 4, 6, 7, 7, 4]


def test_journal_lines_carry_priority_and_no_timestamp() -> None:
    stream = io.StringIO()
    configure_logging("INFO", journal=True, stream=stream)
    log = logging.getLogger("edge.test")
    log.debug("not shown")
    log.info("camera %s up", "entry")
    log.warning("broker down")
    try:
        raise RuntimeError(f"cannot reach mysql://u:{SECRET}@db/x")
    except RuntimeError:
        log.exception("history failed")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "<6>edge.test: camera entry up"
    assert lines[1] == "<4>edge.test: broker down"
    assert lines[2] == "<3>edge.test: history failed"
    assert lines[3] == "<3>Traceback (most recent call last):"
    assert all(line.startswith("<3>") for line in lines[2:])
    assert "mysql://u:***@db/x" in lines[-1]
    assert SECRET not in stream.getvalue()


def test_terminal_lines_have_timestamps_and_levels() -> None:
    stream = io.StringIO()
    configure_logging(logging.DEBUG, journal=False, stream=stream)
    logging.getLogger("edge.test").debug("opening %s", f"rtsp://admin:{SECRET}@cam/1")
    line = stream.getvalue().rstrip("\n")
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(stamp + r" DEBUG edge\.test: opening rtsp://admin:\*\*\*@cam/1", line)


def test_configure_replaces_the_handlers() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", journal=False, stream=first)
    configure_logging("WARNING", journal=False, stream=second)
    logging.getLogger("edge.test").warning("once")
    logging.getLogger("edge.test").info("filtered by level")
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1 and "filtered" not in second.getvalue()


def test_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("verbose", journal=False, stream=io.StringIO())


def test_journal_detection_compares_the_stream(tmp_path: Path) -> None:
    with (tmp_path / "stderr").open("w") as stream, (tmp_path / "other").open("w") as other:
        info = os.fstat(stream.fileno())
        env = {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        assert journal_attached(env, stream)
        assert not journal_attached(env, other)  # inherited variable, different stream
        assert not journal_attached({}, stream)
        assert not journal_attached({"JOURNAL_STREAM": "garbage"}, stream)
        assert not journal_attached({"JOURNAL_STREAM": "1:"}, stream)
        assert not journal_attached(env, io.StringIO())  # no file descriptor


def test_journal_auto_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (tmp_path / "stderr").open("w") as stream:
        info = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{info.st_dev}:{info.st_ino}")
        configure_logging("INFO", stream=stream)
        logging.getLogger("edge.test").error("journal")
    assert (tmp_path / "stderr").read_text() == "<3>edge.test: journal\n"


def test_logs_directory() -> None:
    assert logs_directory({"LOGS_DIRECTORY": "/var/log/carwatch-edge"}) == Path("/var/log/carwatch-edge")
    assert logs_directory({"LOGS_DIRECTORY": "/var/log/a:/var/log/b"}) == Path("/var/log/a")
    assert logs_directory({}) is None


# ---- the log file -------------------------------------------------------------------------------

def test_rotating_file_in_the_logs_directory(tmp_path: Path) -> None:
    stream = io.StringIO()
    handlers = configure_logging("INFO", journal=True, log_dir=tmp_path / "logs", stream=stream)
    logging.getLogger("edge.test").info("connected to %s", f"mqtt://gate:{SECRET}@broker:1883")
    for handler in handlers:
        handler.flush()
    rotating = [h for h in handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(rotating) == 1
    assert (rotating[0].maxBytes, rotating[0].backupCount) == (10 * 1024 * 1024, 5)
    text = (tmp_path / "logs" / LOG_FILE).read_text()
    assert re.search(r"^\d{4}-\d\d-\d\d .* INFO edge\.test: connected to mqtt://gate:\*\*\*@broker:1883$", text, re.M)
    assert SECRET not in text and SECRET not in stream.getvalue()


def test_unusable_log_directory_is_reported_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    stream = io.StringIO()
    handlers = configure_logging("INFO", journal=False, log_dir=blocker / "logs", stream=stream)
    assert len(handlers) == 1
    assert "no log file in" in stream.getvalue()


# ---- the filter on its own ----------------------------------------------------------------------

def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("edge.test", logging.INFO, __file__, 1, msg, args, None)


def test_filter_rewrites_message_and_arguments() -> None:
    entry = record("url %s, %d%%", f"rtsp://a:{SECRET}@cam", 5)
    assert RedactingFilter().filter(entry)
    assert entry.getMessage() == "url rtsp://a:***@cam, 5%"
    assert entry.args is None


def test_filter_passes_broken_records_through() -> None:
    entry = record("needs %s %s", "one")
    assert RedactingFilter().filter(entry)
    assert entry.msg == "needs %s %s"  # logging reports the bad arguments itself


def test_filter_redacts_stack_info() -> None:
    entry = record("x")
    entry.stack_info = f"Stack (most recent call last):\n  password={SECRET}"
    RedactingFilter().filter(entry)
    assert SECRET not in (entry.stack_info or "")
