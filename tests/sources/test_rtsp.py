"""StreamSource against a REAL RTSP camera (GStreamer's RTSP server on 127.0.0.1): killed and restored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from edge.sources import FrameSource
from edge.sources.health import BackoffPolicy
from tests.rtsp import RtspServer, require_rtsp, serve_rtsp
from tests.sources.conftest import stream_source, wait_until, write_clip

Start = Callable[[FrameSource], FrameSource]
RETRY = BackoffPolicy(initial=0.2, maximum=0.5, jitter=0.1)


def test_frames_arrive_and_a_killed_camera_comes_back(stopper: Start, caplog: pytest.LogCaptureFixture) -> None:
    require_rtsp()
    caplog.set_level(logging.INFO, logger="edge.sources")
    with RtspServer() as server:
        url = server.start()
        source = stopper(stream_source("gate", url, backoff=RETRY, stall_timeout=2.0, open_timeout=5.0))
        first = source.latest(0, timeout=15)
        assert first is not None and first.image.shape == (360, 640, 3) and first.image.dtype == np.uint8
        assert source.status().connected

        server.kill()  # the camera loses power
        assert wait_until(lambda: not source.status().connected, timeout=10)
        assert wait_until(lambda: source.status().reconnects >= 2, timeout=10), "retried while it was gone"
        down = source.status()
        assert down.error and down.last_frame_at is not None

        server.start()  # power is back, same address
        assert wait_until(lambda: source.status().connected and source.status().frames > down.frames, timeout=15)
        again = source.latest(down.frames, timeout=5)
        assert again is not None and again.sequence > down.frames
    messages = [r.getMessage() for r in caplog.records if "camera gate" in r.getMessage()]
    assert sum("receiving frames" in m for m in messages) == 2, messages
    assert sum(r.levelno == logging.WARNING for r in caplog.records if "camera gate" in r.getMessage()) <= 3


def test_a_clip_served_with_a_password_reads_and_the_password_stays_secret(
    tmp_path: Path, stopper: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.sources")
    clip = write_clip(tmp_path / "car.avi", frames=20, fps=10.0, size=(320, 240))
    with serve_rtsp(clip, user="admin", password="s3cr@t:pw") as url:
        wrong = stopper(stream_source("wrong", url.replace("rtsp://", "rtsp://admin:n0pe-n0pe@"), backoff=RETRY))
        right = stopper(stream_source("right", url.replace("rtsp://", "rtsp://admin:s3cr@t:pw@"), backoff=RETRY))
        frame = right.latest(0, timeout=15)
        assert frame is not None and frame.image.shape == (240, 320, 3)
        assert wait_until(lambda: wrong.status().reconnects >= 1)
        assert not wrong.status().connected and wrong.status().frames == 0
    text = caplog.text + repr(wrong.status()) + repr(right.status())
    assert "s3cr" not in text and "n0pe" not in text
    assert "rtsp://***@127.0.0.1" in caplog.text
