"""Benchmarks of the whole gate daemon (``carwatch-edge bench-daemon`` and ``carwatch-edge soak``).

Each bench runs a real :class:`GateDaemon` in this process (SQLite history and outbox in a temporary data
directory) and measures it from outside: when events reach the MQTT broker, how many frames each camera's
pipeline takes per second, how much CPU the process uses, how its memory moves. Nothing here prints: every
function returns a frozen dataclass (``as_dict`` gives the JSON) and reports progress through a callback.

The targets are measured here, never asserted in tests:

* capture of the frame with a readable plate -> the ``event`` message on the broker: p95 under 300 ms;
* two 1080p cameras at 10 processed frames per second on two cores; a camera that sees nothing costs
  under 5 % of one core;
* memory flat over a one-hour soak; how many file-fed cameras one box sustains at 5 fps each.
"""

from __future__ import annotations

from edge.daemon_bench.cameras import FPS_TOLERANCE, camera_capacity, idle_cost, run_cameras, two_1080p_cameras
from edge.daemon_bench.clips import CLIP_FPS, FULL_HD, clip_info, write_clip
from edge.daemon_bench.daemon_runs import STOP_DEADLINE_S, bench_settings, file_cameras, running_daemon
from edge.daemon_bench.errors import BenchError
from edge.daemon_bench.event_listener import (
    MOSQUITTO,
    RETAINED_LEAVES,
    EventListener,
    Received,
    bench_broker,
    broker_answers,
    forget_session,
)
from edge.daemon_bench.latency import SAMPLE_PLATE, latency_to_mqtt
from edge.daemon_bench.memory_soak import CONCLUSIVE_SOAK_S, FLAT_MB_PER_HOUR, least_squares, soak
from edge.daemon_bench.plan import BenchPlan, machine, run_daemon_bench
from edge.daemon_bench.process_readings import heap_mb, os_threads, rss_mb, sqlite_mb
from edge.daemon_bench.progress import Progress
from edge.daemon_bench.reports import (
    IDLE_TARGET_PERCENT,
    LATENCY_TARGET_MS,
    CameraRate,
    CamerasReport,
    CapacityReport,
    ClipInfo,
    CpuUse,
    IdleReport,
    LatencyReport,
    Percentiles,
    SoakReport,
    as_dict,
)
from edge.daemon_bench.scenes import (
    APPROACH_S,
    EMPTY_S,
    NOISE_LEVEL,
    PLATE_CENTRE,
    SAMPLE_IMAGE,
    SCENES,
    Image,
    scene_frames,
)

__all__ = [
    "APPROACH_S", "CLIP_FPS", "CONCLUSIVE_SOAK_S", "EMPTY_S", "FLAT_MB_PER_HOUR", "FPS_TOLERANCE", "FULL_HD",
    "IDLE_TARGET_PERCENT", "LATENCY_TARGET_MS", "MOSQUITTO", "NOISE_LEVEL", "PLATE_CENTRE", "RETAINED_LEAVES",
    "SAMPLE_IMAGE", "SAMPLE_PLATE", "SCENES", "STOP_DEADLINE_S", "BenchError", "BenchPlan", "CameraRate",
    "CamerasReport", "CapacityReport", "ClipInfo", "CpuUse", "EventListener", "IdleReport", "Image",
    "LatencyReport", "Percentiles", "Progress", "Received", "SoakReport", "as_dict", "bench_broker",
    "bench_settings", "broker_answers", "camera_capacity", "clip_info", "file_cameras", "forget_session", "heap_mb",
    "idle_cost", "latency_to_mqtt", "least_squares", "machine", "os_threads", "rss_mb", "run_cameras",
    "run_daemon_bench", "running_daemon", "scene_frames", "soak", "sqlite_mb", "two_1080p_cameras", "write_clip",
]
