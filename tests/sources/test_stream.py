"""StreamSource on real captures: video files, a dead RTSP camera, a hung one, an HTTP MJPEG camera that stalls."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.daemon_bench.clips import write_clip as write_h264_clip
from edge.domain import Frame
from edge.sources import FrameSource, SourceOptions, StreamSource, parse_source
from edge.sources.stream import as_bgr, ffmpeg_capture_options, ffmpeg_open_parameters
from tests.sources.conftest import closed_port, grey_level, stream_source, wait_until, write_clip

Start = Callable[[FrameSource], FrameSource]


def drain(source: FrameSource, until: Callable[[], bool], pause: float = 0.0, timeout: float = 20.0) -> list[Frame]:
    """Take frames as a consumer would (sleeping ``pause`` after each) until ``until()`` and nothing is left."""
    taken: list[Frame] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = source.latest(taken[-1].sequence if taken else 0, timeout=0.2)
        if frame is not None:
            taken.append(frame)
            time.sleep(pause)
        elif until():
            break
    return taken


def test_video_file_frames_arrive_in_order_then_it_finishes(tmp_path: Path, stopper: Start) -> None:
    clip = write_clip(tmp_path / "clip.avi", frames=12)
    source = stopper(stream_source("file", str(clip), loop=False, realtime=False))
    frames = drain(source, lambda: source.finished)
    status = source.status()
    assert source.finished
    assert status.frames == 12 and not status.connected and status.error == "end of video file"
    assert [f.sequence for f in frames] == sorted({f.sequence for f in frames})
    assert all(f.image.shape == (64, 96, 3) and f.image.dtype == np.uint8 and f.camera == "file" for f in frames)
    assert len(frames) + status.dropped == 12


def test_a_slow_consumer_gets_the_newest_frame_and_drops_are_counted(tmp_path: Path, stopper: Start) -> None:
    clip = write_clip(tmp_path / "clip.avi", frames=60)
    source = stopper(stream_source("slow", str(clip), loop=False, realtime=False))
    frames = drain(source, lambda: source.finished, pause=0.05)
    status = source.status()
    sequences = [f.sequence for f in frames]
    assert status.frames == 60
    assert status.dropped > 0, "a slow consumer must see frames replaced"
    assert len(frames) + status.dropped == 60
    assert all(b > a for a, b in itertools.pairwise(sequences))
    # Gaps show the dropped frames (on a loaded machine they may all come before the first frame taken).
    assert any(b - a > 1 for a, b in itertools.pairwise([0, *sequences])), "gaps show the dropped frames"
    assert sequences[-1] == 60, "the last frame of the file is never lost"
    assert abs(grey_level(frames[-1].image) - (59 * 10) % 250) <= 3, "the frame is the file's last picture"


def test_a_looping_file_plays_again_without_counting_a_reconnect(tmp_path: Path, stopper: Start) -> None:
    clip = write_clip(tmp_path / "clip.avi", frames=5)
    source = stopper(stream_source("loop", str(clip), loop=True, realtime=False))
    assert wait_until(lambda: source.status().frames > 12)
    status = source.status()
    assert status.connected and status.reconnects == 0 and not source.finished


def test_realtime_playback_keeps_the_file_frame_rate(tmp_path: Path, stopper: Start) -> None:
    clip = write_clip(tmp_path / "clip.avi", frames=8, fps=20.0)
    source = stopper(stream_source("paced", str(clip), loop=False, realtime=True))
    frames = drain(source, lambda: source.finished)
    assert len(frames) == 8 and source.status().dropped == 0
    gaps = [b.monotonic - a.monotonic for a, b in itertools.pairwise(frames)]
    assert min(gaps) >= 0.03, gaps  # paced at 20 fps (0.05 s), never faster


def test_a_camera_converts_frames_when_asked_and_only_a_few_unasked(tmp_path: Path, stopper: Start) -> None:
    clip = write_clip(tmp_path / "clip.avi", frames=25, fps=25.0)
    source = stopper(stream_source("asked", str(clip), loop=True, realtime=True, unasked_fps=0.5))
    assert source.latest(0, timeout=5) is not None
    before = source.status().frames
    time.sleep(2.0)  # 50 frames decoded, nobody asking
    unasked = source.status().frames - before
    assert unasked <= 3, f"{unasked} frames converted in 2 s without a consumer (one every 2 s expected)"
    taken = []
    for _ in range(10):
        asked = time.monotonic()
        frame = source.latest(source.status().frames, timeout=2)
        assert frame is not None
        taken.append(frame.monotonic - asked)
        time.sleep(0.1)
    # A consumer that asks gets the next decoded frame, 1/25 s later (not the next unasked one, up to
    # 2 s later); the bounds leave room for a loaded machine.
    assert sorted(taken)[len(taken) // 2] < 0.25 and max(taken) < 1.0, taken


@pytest.mark.parametrize(("threads", "expected"), [(1, 1.0), (3, 3.0)])
def test_ffmpeg_decodes_with_the_threads_asked_for(tmp_path: Path, threads: int, expected: float) -> None:
    clip = tmp_path / "clip.mp4"
    write_h264_clip(clip, size=(96, 64), fps=5, scene="empty")  # H.264: MJPEG decodes on one thread only
    capture = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG, ffmpeg_open_parameters(SourceOptions(decode_threads=threads)))
    try:
        assert capture.grab()
        assert capture.get(cv2.CAP_PROP_N_THREADS) == expected
    finally:
        capture.release()


def test_ffmpeg_chooses_its_threads_when_asked_for_none() -> None:
    parameters = ffmpeg_open_parameters(SourceOptions(decode_threads=0, open_timeout=2.5, stall_timeout=4))
    assert parameters == [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 2500, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 4000]


def test_a_dead_rtsp_camera_is_retried_with_backoff_and_logged_once(
    stopper: Start, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"rtsp://admin:s3cr@t:pw@127.0.0.1:{closed_port()}/x"
    caplog.set_level(logging.INFO, logger="edge.sources")
    source = stopper(stream_source("dead", url))
    assert wait_until(lambda: source.status().reconnects >= 3)
    status = source.status()
    assert not status.connected and status.frames == 0 and status.last_frame_at is None
    assert status.error == "could not open the camera"
    assert source.latest(0, timeout=0.05) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "camera dead" in r.getMessage()]
    assert len(warnings) == 1, "one log line per change of state, not one per retry"
    assert "rtsp://***@127.0.0.1" in warnings[0].getMessage()
    assert "s3cr" not in caplog.text and "s3cr" not in repr(status)
    assert source.stop(5.0)
    assert source.stop(5.0), "stop twice is harmless"


def test_stop_returns_while_the_camera_hangs_in_open(stopper: Start) -> None:
    """A camera that accepts the connection and never answers: the open times out; stop is not stuck."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        source = stopper(stream_source("hung", f"rtsp://127.0.0.1:{port}/x", open_timeout=1.0, stall_timeout=1.0))
        assert wait_until(lambda: source.status().error != "", timeout=15)
        assert not source.status().connected
        assert source.stop(10.0)


def test_a_missing_usb_camera_is_retried(stopper: Start) -> None:
    source = stopper(stream_source("usb", "/dev/video63"))
    assert wait_until(lambda: source.status().reconnects >= 2)
    assert not source.status().connected and source.status().error


def test_start_twice_is_refused(tmp_path: Path, stopper: Start) -> None:
    source = stopper(stream_source("twice", str(write_clip(tmp_path / "c.avi", 3))))
    with pytest.raises(RuntimeError):
        source.start()


def test_stop_before_start_and_latest_after_stop_return_at_once(tmp_path: Path) -> None:
    source = stream_source("idle", str(write_clip(tmp_path / "c.avi", 3)))
    assert source.stop(1.0)
    assert source.latest(0, timeout=30.0) is None  # closed: no waiting


def test_as_bgr_accepts_colour_grey_and_bgra_and_refuses_the_rest() -> None:
    colour = np.zeros((4, 6, 3), np.uint8)
    assert as_bgr(colour) is colour
    assert as_bgr(np.zeros((4, 6), np.uint8)).shape == (4, 6, 3)  # type: ignore[union-attr]
    assert as_bgr(np.zeros((4, 6, 4), np.uint8)).shape == (4, 6, 3)  # type: ignore[union-attr]
    assert as_bgr(np.zeros((4, 6, 1), np.uint8)).shape == (4, 6, 3)  # type: ignore[union-attr]
    for bad in (None, np.zeros((4, 6, 3), np.float32), np.zeros((0, 6, 3), np.uint8), np.zeros((4, 6, 2), np.uint8),
                np.zeros((2, 2, 2, 3), np.uint8), "frame"):
        assert as_bgr(bad) is None


def test_ffmpeg_options_ask_for_tcp_and_a_socket_timeout_in_microseconds() -> None:
    assert ffmpeg_capture_options(2.5) == "rtsp_transport;tcp|timeout;2500000"


def test_a_folder_is_not_a_stream(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        StreamSource("x", parse_source(str(tmp_path)), SourceOptions())


# --- a real HTTP MJPEG camera that stops sending after a few frames ------------------------------------


class _MjpegCamera(BaseHTTPRequestHandler):
    frames_per_connection = 5
    release = threading.Event()  # replaced per test by the fixture

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for index in range(self.frames_per_connection):
            ok, jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), 40 + index * 20, np.uint8))
            assert ok
            body = jpeg.tobytes()
            head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            try:
                self.wfile.write(head + body + b"\r\n")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)
        self.release.wait(20)  # then stall with the connection open, like a frozen camera

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mjpeg_camera() -> Iterator[str]:
    handler: type[_MjpegCamera] = type("Camera", (_MjpegCamera,), {"release": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="test-mjpeg-camera", daemon=True)
    thread.start()
    yield f"http://user:hunter22@127.0.0.1:{server.server_address[1]}/video.mjpg?token=abc123secret"
    handler.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_mjpeg_frames_arrive_and_a_stall_reopens_the_stream(
    mjpeg_camera: str, stopper: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.sources")
    source = stopper(stream_source("mjpeg", mjpeg_camera, stall_timeout=1.0))
    first = source.latest(0, timeout=15)
    assert first is not None and first.image.shape == (48, 64, 3)
    assert wait_until(lambda: source.status().reconnects >= 1 and source.status().frames > 5, timeout=20)
    text = caplog.text + repr(source.status())
    assert "hunter22" not in text and "abc123secret" not in text
    assert "token=***" in caplog.text
