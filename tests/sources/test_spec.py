"""parse_source and redact_url with ordinary and hostile input: nothing secret ever comes back out."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.sources import SourceKind, parse_source, redact_text, redact_url

SECRET = "Sup3r-S3cret"


@pytest.mark.parametrize(("text", "kind"), [
    ("rtsp://10.0.0.5:554/Streaming/Channels/101", SourceKind.RTSP),
    ("RTSP://cam.local/live", SourceKind.RTSP),
    ("rtsps://cam.example.com:322/s", SourceKind.RTSP),
    ("rtsp://[fe80::1]:554/x", SourceKind.RTSP),
    ("http://192.168.1.20/video.mjpg", SourceKind.HTTP),
    ("https://cam.example.com/mjpeg?resolution=640x480", SourceKind.HTTP),
    ("0", SourceKind.DEVICE),
    ("  2  ", SourceKind.DEVICE),
    ("/dev/video0", SourceKind.DEVICE),
    ("/dev/video12", SourceKind.DEVICE),
])
def test_accepted_sources_and_their_kind(text: str, kind: SourceKind) -> None:
    spec = parse_source(text)
    assert spec.kind is kind


def test_usb_index_paths_files_and_folders(tmp_path: Path) -> None:
    clip = tmp_path / "clip with spaces ü.avi"
    clip.write_bytes(b"x")
    assert parse_source("3").device_index == 3
    assert parse_source(str(clip)).kind is SourceKind.FILE
    assert parse_source(str(clip)).location == str(clip)
    assert parse_source(f"file://{clip}").kind is SourceKind.FILE
    assert parse_source(f"file://localhost{tmp_path}").kind is SourceKind.FOLDER
    assert parse_source(str(tmp_path)).kind is SourceKind.FOLDER
    assert parse_source("/dev/null").kind is SourceKind.DEVICE  # a character device under /dev
    later = parse_source(f"{tmp_path}/not/yet/")  # a snapshot folder still to be made
    assert later.kind is SourceKind.FOLDER and later.location == f"{tmp_path}/not/yet"


@pytest.mark.parametrize(("text", "problem"), [
    ("", "empty"),
    ("   ", "empty"),
    ("ftp://cam/x.jpg", "unknown scheme 'ftp'"),
    ("rtmp://cam/live", "unknown scheme"),
    ("javascript://alert(1)", "unknown scheme"),
    ("rtsp://", "no host"),
    ("rtsp:///path", "no host"),
    ("http://:80/x", "no host"),
    ("rtsp://cam:99999/x", "invalid port"),
    ("rtsp://cam:0/x", "port 0"),
    ("rtsp://cam:abc/x", "invalid port"),
    ("rtsp://[::1/x", "malformed"),
    ("rtsp://bad_host!/x", "not a valid host"),
    ("rtsp://kamera.ü.de/x", "not a valid host"),
    ("rtsp://cam/x\nINFO forged", "control"),
    ("rtsp://cam/x\r", "control"),
    ("rtsp://cam/\x00x", "control"),
    ("rtsp://cam/\u202ex", "control"),
    ("rtsp://cam/\u200bx", "control"),
    ("\trtsp://cam/x", "control"),
    ("rtsp://cam/" + "a" * 2100, "too long"),
    ("rtsp://cam/" + "ü" * 10_000, "too long"),
    ("/no/such/file.avi", "no such file"),
    ("/srv/snapshots/entry", "end a snapshot folder that does not exist yet with /"),
    ("relative/missing.mp4", "no such file"),
    ("file://otherhost/x.avi", "local path"),
    ("file://", "local path"),
    ("100", "out of range"),
    ("99999999999999999999999", "out of range"),
    ("-1", "no such file"),
    ("/dev/video", "no such file"),
])
def test_rejected_sources_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_source(text)


@pytest.mark.parametrize("value", [None, 0, 1.5, b"rtsp://cam/x", ["rtsp://cam/x"]])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="text"):
        parse_source(value)


@pytest.mark.parametrize("text", [
    f"rtsp://admin:{SECRET}@cam:99999/x",
    f"rtsp://admin:{SECRET}@/x",
    f"ftp://admin:{SECRET}@cam/x",
    f"rtsp://admin:{SECRET}@cam/x\n",
    f"rtsp://admin:{SECRET}@bad_host!/x",
    f"rtsp://admin:{SECRET}/x@cam:12ab/x",
    f"rtsp://admin:{SECRET}@cam/" + "x" * 3000,
    f"rtsp://[admin:{SECRET}@cam/x",
])
def test_errors_never_echo_a_password(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_source(text)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.mark.parametrize(("url", "shown"), [
    ("rtsp://user:pass@host:554/s", "rtsp://***@host:554/s"),
    ("rtsp://admin@host/s", "rtsp://***@host/s"),
    (f"rtsp://admin:{SECRET}@cam.local/s", "rtsp://***@cam.local/s"),
    (f"rtsp://admin:p@ss:w@rd{SECRET}@10.0.0.2:554/s", "rtsp://***@10.0.0.2:554/s"),
    (f"rtsp://admin:a/b?c#d{SECRET}@10.0.0.2/s", "rtsp://***@10.0.0.2/s"),
    (f"http://cam/snap.cgi?user=admin&password={SECRET}&x=1", "http://cam/snap.cgi?user=admin&password=***&x=1"),
    (f"http://cam/v?token={SECRET}", "http://cam/v?token=***"),
    (f"http://cam/v?a=1&PASSWD={SECRET}#frag", "http://cam/v?a=1&PASSWD=***#frag"),
    (f"http://cam/v?api_key={SECRET}&pwd={SECRET}", "http://cam/v?api_key=***&pwd=***"),
    (f"http://cam/v?key={SECRET};sig={SECRET}", "http://cam/v?key=***;sig=***"),
    ("http://cam/video.mjpg", "http://cam/video.mjpg"),
    ("/var/lib/snapshots", "/var/lib/snapshots"),
    ("rtsp://cam/x\nINFO forged", "rtsp://cam/x?INFO forged"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_url_copes_with_huge_and_strange_input() -> None:
    huge = f"rtsp://admin:{SECRET}@cam/" + "é" * 10_000 + f"?token={SECRET}"
    redacted = redact_url(huge)
    assert SECRET not in redacted and redacted.startswith("rtsp://***@cam/")
    assert SECRET not in redact_url(f"rtsp://{SECRET}@" * 500)
    assert redact_url("") == ""
    assert redact_url(f"rtsp://usér:pässwörd{SECRET}@kamera/x") == "rtsp://***@kamera/x"


def test_redact_text_scrubs_urls_inside_messages() -> None:
    message = f"open failed for rtsp://admin:{SECRET}@cam/x (and http://u:{SECRET}@h/v?token={SECRET}) done"
    scrubbed = redact_text(message)
    assert SECRET not in scrubbed
    assert scrubbed == "open failed for rtsp://***@cam/x (and http://***@h/v?token=*** done"  # a value ends at a space


def test_a_spec_never_shows_its_credentials() -> None:
    spec = parse_source(f"rtsp://admin:{SECRET}@cam/x")
    assert SECRET in spec.location
    assert SECRET not in repr(spec) and SECRET not in str(spec) and SECRET not in spec.display
