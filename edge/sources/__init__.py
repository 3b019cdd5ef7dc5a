"""Camera sources: RTSP, HTTP MJPEG, video files, USB cameras and snapshot folders, one owned thread each."""

from edge.settings.cameras import SourceKind, SourceSpec, parse_source, redact_text, redact_url
from edge.sources.base import FrameSource, SourceOptions
from edge.sources.buffer import FrameQueue, LatestFrameSlot
from edge.sources.factory import open_camera, open_source, read_one_frame
from edge.sources.folder import SnapshotFolderSource
from edge.sources.health import Backoff, BackoffPolicy
from edge.sources.motion import MotionGate, crop_roi, roi_pixels
from edge.sources.stream import StreamSource

__all__ = [
    "Backoff",
    "BackoffPolicy",
    "FrameQueue",
    "FrameSource",
    "LatestFrameSlot",
    "MotionGate",
    "SnapshotFolderSource",
    "SourceKind",
    "SourceOptions",
    "SourceSpec",
    "StreamSource",
    "crop_roi",
    "open_camera",
    "open_source",
    "parse_source",
    "read_one_frame",
    "redact_text",
    "redact_url",
    "roi_pixels",
]
