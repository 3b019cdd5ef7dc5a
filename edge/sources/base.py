"""What every camera source offers, and the options that tune one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from edge.domain import Frame, SourceStatus
from edge.settings.cameras import AfterProcessing, CameraSettings
from edge.sources.health import BackoffPolicy

UNASKED_FPS = 1.0  # frames a stream converts a second while its consumer does not wait for one


class FrameSource(Protocol):
    """One camera, read by one thread the source owns. The newest frame wins (snapshot folders queue a few)."""

    camera: str

    def start(self) -> None:
        """Start the capture thread (once)."""
        ...

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop and join the capture thread; True when it ended within ``timeout``. Safe to call twice."""
        ...

    def latest(self, after_sequence: int = 0, timeout: float = 1.0) -> Frame | None:
        """A frame newer than ``after_sequence``, waiting up to ``timeout`` seconds; None when none came.

        A stream camera makes a frame when a consumer waits here for one (the next one it decodes), so
        ask when a frame is due instead of taking every frame and dropping most.
        """
        ...

    def status(self) -> SourceStatus:
        """Connected, counters and the last error (credentials removed)."""
        ...

    @property
    def skipped(self) -> int:
        """Corrupt frames and unreadable snapshots skipped since start."""
        ...

    @property
    def finished(self) -> bool:
        """True once a video file without ``loop`` has been read to its end; never for cameras."""
        ...


@dataclass(frozen=True)
class SourceOptions:
    """How a source reads its camera. Defaults suit a daemon; tests shorten the times."""

    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    stall_timeout: float = 10.0  # seconds without a frame before a stream counts as dead and is reopened
    open_timeout: float = 10.0  # seconds an open (connect, describe, probe) may take
    loop: bool = True  # video files: start again at the end
    realtime: bool = True  # video files: play at the file's frame rate; False = as fast as possible
    after: AfterProcessing = AfterProcessing.KEEP  # snapshot folders: what happens to a processed file
    process_existing: bool = False  # snapshot folders: read the files already there at start
    queue_size: int = 16  # snapshot folders: frames waiting for the consumer before the oldest goes
    queue_wait: float = 2.0  # snapshot folders: how long a ready snapshot waits for room in a full queue
    settle_time: float = 0.5  # snapshot folders: a file unchanged this long is complete
    max_pixels: int = 40_000_000  # snapshot folders: larger images are refused before decoding
    max_file_bytes: int = 50_000_000  # snapshot folders: larger files are refused unread
    # Streams: a decoded frame is converted to BGR (at 10 a second, a quarter of an idle 1080p camera's
    # cost) when the consumer waits for one, and otherwise only this many a second, so that health sees
    # a live camera. None: every decoded frame is converted.
    unasked_fps: float | None = None
    decode_threads: int = 1  # streams and files: FFmpeg decoding threads; 0 lets FFmpeg choose

    def __post_init__(self) -> None:
        if not (self.stall_timeout > 0 and self.open_timeout > 0 and self.settle_time >= 0 and self.queue_wait >= 0):
            raise ValueError("stall_timeout and open_timeout must be > 0, settle_time and queue_wait >= 0")
        if self.queue_size < 1 or self.max_pixels < 1 or self.max_file_bytes < 1:
            raise ValueError("queue_size, max_pixels and max_file_bytes must be >= 1")

    @classmethod
    def from_settings(cls, settings: CameraSettings) -> SourceOptions:
        """The options a camera's settings ask for."""
        return cls(
            backoff=BackoffPolicy(initial=settings.reconnect_initial, maximum=settings.reconnect_max),
            stall_timeout=settings.stall_timeout,
            loop=settings.loop,
            after=settings.after,
            process_existing=settings.process_existing,
            # The pipeline asks when it is due and gets the next decoded frame, never an older one.
            unasked_fps=UNASKED_FPS,
            decode_threads=settings.decode_threads,
        )
