"""Builds the right source for a camera."""

from __future__ import annotations

from edge.settings.cameras import CameraSettings, SourceKind, SourceSpec
from edge.sources.base import FrameSource, SourceOptions
from edge.sources.folder import SnapshotFolderSource
from edge.sources.stream import StreamSource


def open_source(camera: str, spec: SourceSpec, options: SourceOptions | None = None) -> FrameSource:
    """A source for ``spec``, not started yet: call ``start()``, and ``stop()`` when done."""
    if spec.kind is SourceKind.FOLDER:
        return SnapshotFolderSource(camera, spec, options)
    return StreamSource(camera, spec, options)


def open_camera(settings: CameraSettings, options: SourceOptions | None = None) -> FrameSource:
    """The source a camera's settings describe (options from the settings unless given), not started yet."""
    return open_source(settings.name, settings.source_spec(), options or SourceOptions.from_settings(settings))


def read_one_frame(settings: CameraSettings, timeout_s: float = 10.0) -> bool | str:
    """Open the camera, wait for one frame, close it: True, or why no frame came (``carwatch-edge doctor``)."""
    source = open_camera(settings)
    source.start()
    try:
        if source.latest(0, timeout=timeout_s) is not None:
            return True
        return source.status().error or f"no frame within {timeout_s:g} s"
    finally:
        source.stop(timeout=2.0)
