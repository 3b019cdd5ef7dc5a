"""Real test material for the sources: clips written with cv2.VideoWriter, a closed port, polling helpers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.settings.cameras import parse_source
from edge.sources import FrameSource, SourceOptions, StreamSource
from edge.sources.health import BackoffPolicy

FAST_BACKOFF = BackoffPolicy(initial=0.05, maximum=0.2, jitter=0.0)


def write_clip(path: Path, frames: int, fps: float = 25.0, size: tuple[int, int] = (96, 64)) -> Path:
    """An MJPG .avi whose frame i is filled with grey level (i * 10) % 250, so its order can be read back."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG .avi here"
    for index in range(frames):
        writer.write(np.full((size[1], size[0], 3), (index * 10) % 250, dtype=np.uint8))
    writer.release()
    return path


def grey_level(image: np.ndarray) -> int:
    return round(float(image.mean()))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; returns whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def closed_port() -> int:
    """A local TCP port nobody listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stream_source(camera: str, source: str, **options: object) -> StreamSource:
    defaults: dict[str, object] = {"backoff": FAST_BACKOFF, "stall_timeout": 2.0, "open_timeout": 2.0}
    defaults.update(options)
    return StreamSource(camera, parse_source(source), SourceOptions(**defaults))  # type: ignore[arg-type]


@pytest.fixture
def stopper() -> Iterator[Callable[[FrameSource], FrameSource]]:
    """Starts a source and makes sure it is stopped at the end of the test, whatever happens."""
    started: list[FrameSource] = []

    def start(source: FrameSource) -> FrameSource:
        started.append(source)
        source.start()
        return source

    yield start
    for source in started:
        source.stop(5.0)
