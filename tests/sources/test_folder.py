"""SnapshotFolderSource with real files dropped into a real folder, watched by watchdog."""

from __future__ import annotations

import logging
import os
import shutil
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.domain import Frame
from edge.settings.cameras import AfterProcessing, parse_source
from edge.sources import FrameSource, SnapshotFolderSource, SourceOptions
from tests.sources.conftest import FAST_BACKOFF, grey_level, wait_until

Start = Callable[[FrameSource], FrameSource]


def folder_source(folder: Path, **options: object) -> SnapshotFolderSource:
    defaults: dict[str, object] = {"backoff": FAST_BACKOFF, "settle_time": 0.2}
    defaults.update(options)
    return SnapshotFolderSource("snap", parse_source(str(folder)), SourceOptions(**defaults))  # type: ignore[arg-type]


def jpeg(level: int, size: tuple[int, int] = (80, 60)) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((size[1], size[0], 3), level, np.uint8))
    assert ok
    return data.tobytes()


def png(level: int) -> bytes:
    ok, data = cv2.imencode(".png", np.full((30, 40, 3), level, np.uint8))
    assert ok
    return data.tobytes()


def huge_png_header(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid-looking PNG whose header claims an enormous picture (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def drop(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def take(source: FrameSource, count: int, timeout: float = 10.0) -> list[Frame]:
    frames: list[Frame] = []
    deadline = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < deadline:
        frame = source.latest(frames[-1].sequence if frames else 0, timeout=0.2)
        if frame is not None:
            frames.append(frame)
    return frames


def test_good_snapshots_arrive_in_order_and_bad_ones_are_skipped(
    tmp_path: Path, stopper: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.sources")
    source = stopper(folder_source(tmp_path))
    assert wait_until(lambda: source.status().connected)
    drop(tmp_path / "01-first.jpg", jpeg(30))
    drop(tmp_path / "02-corrupt.jpg", b"\xff\xd8\xff\xe0 this is not a picture at all \xff\xd9")
    drop(tmp_path / "03-notes.txt", b"not a snapshot")
    drop(tmp_path / "04-bomb.png", huge_png_header())
    drop(tmp_path / ".05-hidden.jpg", jpeg(200))
    (tmp_path / "06-folder.jpg").mkdir()
    slow = jpeg(90, size=(640, 480))
    with open(tmp_path / "07-slow.jpg", "wb") as handle:  # a camera writing slowly: half, a pause, the rest
        handle.write(slow[: len(slow) // 2])
        handle.flush()
        time.sleep(0.8)
        handle.write(slow[len(slow) // 2 :])
    drop(tmp_path / "08-last.png", png(150))
    frames = take(source, 3)
    assert [grey_level(f.image) for f in frames] == [30, 90, 150]
    assert [f.image.shape for f in frames] == [(60, 80, 3), (480, 640, 3), (30, 40, 3)]
    assert [f.sequence for f in frames] == [1, 2, 3]
    assert wait_until(lambda: source.skipped == 2)
    assert source.latest(3, timeout=0.5) is None, "nothing else became a frame"
    assert source.skipped == 2, "the slow file was waited for, not skipped"
    status = source.status()
    assert status.connected and status.frames == 3 and status.dropped == 0 and status.error == ""
    assert "02-corrupt.jpg" in caplog.text and "04-bomb.png" in caplog.text and "over the limit" in caplog.text
    assert (tmp_path / "02-corrupt.jpg").exists(), "bad files are left for a person to look at"
    drop(tmp_path / "09-after.jpg", jpeg(200))
    alive = source.latest(3, timeout=10)
    assert alive is not None and alive.sequence == 4 and grey_level(alive.image) == 200, "still alive"


def test_a_burst_gives_every_snapshot_in_order(tmp_path: Path, stopper: Start) -> None:
    source = stopper(folder_source(tmp_path, queue_size=4, queue_wait=5.0))
    assert wait_until(lambda: source.status().connected)
    for index in range(10):
        drop(tmp_path / f"burst-{index:02d}.jpg", jpeg(10 + index * 20))
    frames = take(source, 10, timeout=20)
    assert [grey_level(f.image) for f in frames] == [10 + i * 20 for i in range(10)]
    assert source.status().dropped == 0, "the folder waits for the consumer instead of dropping"


def test_an_overflowing_queue_drops_the_oldest_and_counts_them(tmp_path: Path, stopper: Start) -> None:
    source = stopper(folder_source(tmp_path, queue_size=3, queue_wait=0.0))
    assert wait_until(lambda: source.status().connected)
    for index in range(6):
        drop(tmp_path / f"over-{index}.jpg", jpeg(10 + index * 20))
    assert wait_until(lambda: source.status().frames == 6)
    assert source.status().dropped == 3
    assert [grey_level(f.image) for f in take(source, 3)] == [70, 90, 110]


def test_files_present_at_start_are_ignored_unless_asked(tmp_path: Path, stopper: Start) -> None:
    drop(tmp_path / "old.jpg", jpeg(50))
    quiet = stopper(folder_source(tmp_path))
    assert wait_until(lambda: quiet.status().connected)
    assert quiet.latest(0, timeout=0.6) is None
    quiet.stop()
    eager = stopper(folder_source(tmp_path, process_existing=True))
    frames = take(eager, 1)
    assert [grey_level(f.image) for f in frames] == [50]
    assert abs(frames[0].captured_at - (tmp_path / "old.jpg").stat().st_mtime) < 0.01, "taken when written"


@pytest.mark.parametrize("after", [AfterProcessing.DELETE, AfterProcessing.MOVE])
def test_processed_snapshots_are_deleted_or_moved(tmp_path: Path, stopper: Start, after: AfterProcessing) -> None:
    source = stopper(folder_source(tmp_path, after=after))
    assert wait_until(lambda: source.status().connected)
    drop(tmp_path / "done.jpg", jpeg(60))
    assert len(take(source, 1)) == 1
    assert wait_until(lambda: not (tmp_path / "done.jpg").exists())
    assert (tmp_path / "processed" / "done.jpg").exists() == (after is AfterProcessing.MOVE)
    assert source.latest(1, timeout=0.5) is None, "moving a file away does not make a second frame"


def test_a_renamed_upload_and_an_overwritten_name_both_count(tmp_path: Path, stopper: Start) -> None:
    source = stopper(folder_source(tmp_path, settle_time=5.0))  # only the close/rename events make them ready
    assert wait_until(lambda: source.status().connected)
    drop(tmp_path / "upload.tmp", jpeg(40))
    os.replace(tmp_path / "upload.tmp", tmp_path / "cam.jpg")
    assert [grey_level(f.image) for f in take(source, 1)] == [40]
    drop(tmp_path / "cam.jpg", jpeg(120, size=(82, 60)))  # the camera reuses one name
    assert [grey_level(f.image) for f in take(source, 2)][1:] == [120]


def test_a_vanished_folder_is_reported_and_watched_again_when_back(tmp_path: Path, stopper: Start) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    source = stopper(folder_source(folder))
    assert wait_until(lambda: source.status().connected)
    shutil.rmtree(folder)
    assert wait_until(lambda: not source.status().connected)
    assert "folder" in source.status().error
    folder.mkdir()
    assert wait_until(lambda: source.status().connected)
    drop(folder / "back.jpg", jpeg(70))
    assert [grey_level(f.image) for f in take(source, 1)] == [70]
    assert source.status().reconnects >= 1


def test_hostile_file_names_do_not_forge_log_lines(
    tmp_path: Path, stopper: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.sources")
    source = stopper(folder_source(tmp_path))
    assert wait_until(lambda: source.status().connected)
    drop(tmp_path / "evil\nWARNING forged line.jpg", b"garbage")
    drop(tmp_path / ("ü" * 60 + ".jpg"), b"\x89PNG\r\n\x1a\n" + b"\0" * 4)
    assert wait_until(lambda: source.skipped == 2)
    assert "\nWARNING forged" not in caplog.text


def test_stop_is_prompt_and_final(tmp_path: Path, stopper: Start) -> None:
    source = stopper(folder_source(tmp_path))
    assert wait_until(lambda: source.status().connected)
    assert source.stop(5.0)
    assert not source.status().connected and source.status().error == ""
    drop(tmp_path / "late.jpg", jpeg(10))
    assert source.latest(0, timeout=0.5) is None
    with pytest.raises(RuntimeError):
        source.start()


def test_only_folders_make_folder_sources(tmp_path: Path) -> None:
    clip = tmp_path / "c.avi"
    clip.write_bytes(b"x")
    with pytest.raises(ValueError):
        SnapshotFolderSource("x", parse_source(str(clip)), SourceOptions())


def test_a_folder_still_to_be_made_is_waited_for(tmp_path: Path, stopper: Start) -> None:
    folder = tmp_path / "ftp" / "entry"
    source = stopper(SnapshotFolderSource("snap", parse_source(f"{folder}/"),
                                          SourceOptions(backoff=FAST_BACKOFF, settle_time=0.2)))
    assert wait_until(lambda: "does not exist" in source.status().error)
    assert not source.status().connected
    folder.mkdir(parents=True)
    assert wait_until(lambda: source.status().connected)
    drop(folder / "first.jpg", jpeg(90))
    assert [grey_level(f.image) for f in take(source, 1)] == [90]
