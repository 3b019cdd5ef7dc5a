"""What the benches report: frozen dataclasses of results, and ``as_dict`` for their JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

LATENCY_TARGET_MS = 300.0
IDLE_TARGET_PERCENT = 5.0


@dataclass(frozen=True)
class Percentiles:
    """A latency sample summarised, in milliseconds."""

    n: int
    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def of(cls, values: list[float]) -> Percentiles:
        if not values:
            return cls(0, None, None, None)
        array = np.asarray(values, dtype=np.float64)
        return cls(len(values), round(float(np.percentile(array, 50)), 1),
                   round(float(np.percentile(array, 95)), 1), round(float(array.max()), 1))


@dataclass(frozen=True)
class ClipInfo:
    """A video file a bench camera plays (looped, at its own frame rate)."""

    name: str
    width: int
    height: int
    fps: float
    seconds: float
    codec: str


@dataclass(frozen=True)
class CameraRate:
    """What one camera did per second of a measured window.

    ``taken_fps`` counts the frames the pipeline took on its fps schedule: read by the models
    (``model_fps``) or looked at by the motion gate and found still (``still_fps``). A camera keeps up
    when ``taken_fps`` reaches the fps it asks for; ``source_fps`` is what the source decoded.
    """

    camera: str
    source_fps: float
    taken_fps: float
    model_fps: float
    still_fps: float


@dataclass(frozen=True)
class CpuUse:
    """CPU of the whole process over a window: ``cores`` 1.0 is one core busy all the time.

    ``by_thread`` splits it by thread (Linux only): capture = the sources' threads (demuxing, colour
    conversion), pipeline = motion gate, models, tracking, JPEG encoding; native = threads Python did not
    start (FFmpeg's decoder threads, onnxruntime, SQLite).
    """

    seconds: float
    cores: float
    by_thread: dict[str, float]


@dataclass(frozen=True)
class LatencyReport:
    """Frame capture -> ``event`` message (stage "decided") received from the broker."""

    scenario: str
    vehicles: int  # cars dropped and measured (warm-up drops not counted)
    decided: int  # of them, how many "decided" events arrived
    capture_to_mqtt_ms: Percentiles  # file dropped (its mtime is the frame's captured_at) -> message received
    stages_p50_ms: dict[str, float | None]  # capture->decided, decided->published, published->received
    pipeline_ms: Percentiles  # the pipeline's own sample: frame queued -> event stored in the outbox
    status_latency_ms: dict[str, Any]  # GateDaemon.status()["latency_ms"], as the heartbeat shows it
    cpu: CpuUse
    target_p95_ms: float = LATENCY_TARGET_MS
    met: bool = False


@dataclass(frozen=True)
class CamerasReport:
    """N file-fed cameras run together for a window."""

    clip: ClipInfo
    fps_asked: float
    seconds: float
    cameras: list[CameraRate]
    cpu: CpuUse
    held: bool  # every camera took at least FPS_TOLERANCE of the fps it asked for


@dataclass(frozen=True)
class CapacityReport:
    """How many file-fed cameras the box sustains at ``fps_asked`` each (N = 1, 2, ... until one fails)."""

    clip: ClipInfo
    fps_asked: float
    min_fps: float
    steps: list[CamerasReport]
    sustained_cameras: int  # the largest N at which every camera kept min_fps
    limit_found: bool  # False when max_cameras still held: the box sustains at least that many


@dataclass(frozen=True)
class IdleReport:
    """One camera looking at a still, empty scene, against the daemon without cameras."""

    clip: ClipInfo
    fps_asked: float
    camera: CameraRate
    baseline: CpuUse  # the daemon with no camera
    with_camera: CpuUse
    camera_core_percent: float  # (with_camera - baseline) as % of one core
    target_percent: float = IDLE_TARGET_PERCENT
    met: bool = False


@dataclass(frozen=True)
class SnapshotsKept:
    """The snapshots' retention cap during a soak, and the JPEG files on disk at its end."""

    cap_mb: int
    files_end: int
    mb_end: float


@dataclass(frozen=True)
class SoakReport:
    """The daemon with file-fed cameras for ``duration_s``; RSS sampled every ``sample_s`` seconds."""

    duration_s: float
    sample_s: float
    cameras: int
    clip: ClipInfo
    mqtt: bool
    samples: list[tuple[float, float]]  # (seconds since start, RSS MB)
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float
    slope_mb_per_hour: float  # least-squares line over the second half of the samples
    slope_stderr_mb_per_hour: float
    sqlite_samples: list[tuple[float, float]]  # (seconds, MB SQLite holds: page caches, statements)
    sqlite_slope_mb_per_hour: float | None  # its line over the second half; None where SQLite cannot tell
    heap_samples: list[tuple[float, float, float]]  # (seconds, MB malloc'd and in use, MB free but kept by glibc)
    heap_in_use_slope_mb_per_hour: float | None  # in-use line over the second half: growth here is allocation,
    # growth of RSS without it is fragmentation
    python_samples: list[tuple[float, int]]  # (seconds, memory blocks Python's allocator holds)
    python_blocks_slope_per_hour: float | None  # blocks per hour over the second half: a leak of Python
    # objects raises it, state that only cycles does not
    flat_threshold_mb_per_hour: float
    flat: bool
    conclusive: bool  # the soak lasted CONCLUSIVE_SOAK_S or more: shorter slopes are mostly noise
    verdict: str  # "flat", "growing" or "too short to tell"
    events_stored: int
    events_lost: int
    events_received: int | None  # "event" messages the bench's subscriber got (None without MQTT)
    outbox_depth_end: dict[str, int]
    dead_letters: dict[str, int]
    python_threads: tuple[int, int]  # at start (after warm-up) and at the end
    os_threads: tuple[int, int]
    threads_grew: bool
    frames_taken: dict[str, int]
    cpu: CpuUse
    snapshots: SnapshotsKept  # under the cap, retention has been deleting files and the index stays bounded


def as_dict(report: Any) -> dict[str, Any]:
    """A report dataclass as JSON-ready values."""
    result: dict[str, Any] = asdict(report)
    return result
