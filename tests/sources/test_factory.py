"""open_source / open_camera pick the right kind of source."""

from __future__ import annotations

from pathlib import Path

from edge.settings.cameras import CameraSettings
from edge.sources import SnapshotFolderSource, SourceOptions, StreamSource, open_camera, open_source, parse_source
from tests.sources.conftest import write_clip


def test_each_kind_gets_its_source(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.avi", 2)
    assert isinstance(open_source("a", parse_source(str(tmp_path)), SourceOptions()), SnapshotFolderSource)
    assert isinstance(open_source("b", parse_source(str(clip))), StreamSource)
    assert isinstance(open_source("c", parse_source("rtsp://cam/x")), StreamSource)
    assert isinstance(open_source("d", parse_source("0")), StreamSource)


def test_open_camera_uses_the_settings(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.avi", 3)
    source = open_camera(CameraSettings(name="lane-2", source=str(clip), loop=True))
    assert source.camera == "lane-2"
    source.start()
    try:
        frame = source.latest(0, timeout=10)
        assert frame is not None and frame.camera == "lane-2"
    finally:
        assert source.stop(5)
    assert source.status().camera == "lane-2" and not source.status().connected
