"""Bench 5: the daemon soaked for a while, its memory sampled to tell a flat line from a leak."""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.app import SAMPLE_CLIP, GateDaemon
from edge.daemon_bench.clips import clip_info
from edge.daemon_bench.daemon_runs import bench_settings, file_cameras, running_daemon, wait_for_frames
from edge.daemon_bench.event_listener import MOSQUITTO, EventListener, bench_broker, broker_answers
from edge.daemon_bench.process_readings import CpuMark, heap_mb, os_threads, python_blocks, rss_mb, sqlite_mb
from edge.daemon_bench.progress import Progress
from edge.daemon_bench.reports import CpuUse, SnapshotsKept, SoakReport
from edge.settings.daemon import TrackingSettings
from edge.settings.mqtt import MqttSettings
from edge.settings.storage import SnapshotSettings

# Memory counts as flat below 2 MB/h over the soak's second half. RSS moves in steps of about a megabyte as
# glibc's arenas and onnxruntime's arena grow and shrink, and one such step over a 30-minute half reads as
# 2 MB/h, so a lower line would flag noise. Any real leak on the hot path is far above it: a frame is 1.5 to
# 6 MB and cameras deliver 5-10 per second, and even 1 kB kept per processed frame of two cameras at 5 fps
# is 36 MB/h. A 2 MB/h leak left undetected costs under 1.5 GB in a month of uptime.
FLAT_MB_PER_HOUR = 2.0
CONCLUSIVE_SOAK_S = 1800.0  # shorter soaks report their slope, but it is mostly noise


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Slope of the least-squares line through (x, y) points, and its standard error (0, 0 for < 3 points)."""
    if len(points) < 3:
        return 0.0, 0.0
    x = np.array([p[0] for p in points], dtype=np.float64)
    y = np.array([p[1] for p in points], dtype=np.float64)
    dx = x - x.mean()
    sxx = float((dx * dx).sum())
    if sxx == 0:
        return 0.0, 0.0
    slope = float((dx * (y - y.mean())).sum()) / sxx
    residuals = y - (y.mean() + slope * dx)
    stderr = math.sqrt(float((residuals * residuals).sum()) / (len(points) - 2) / sxx)
    return slope, stderr


@dataclass
class _SoakLog:
    started: float = field(default_factory=time.monotonic)
    samples: list[tuple[float, float]] = field(default_factory=list)
    threads: list[tuple[float, int, int]] = field(default_factory=list)  # (t, python, os)
    sqlite: list[tuple[float, float]] = field(default_factory=list)  # (t, MB SQLite holds), where it can tell
    heap: list[tuple[float, float, float]] = field(default_factory=list)  # (t, MB malloc'd in use, MB kept free)
    python: list[tuple[float, int]] = field(default_factory=list)  # (t, blocks Python's allocator holds)

    def sample(self) -> None:
        t = round(time.monotonic() - self.started, 1)
        self.samples.append((t, round(rss_mb(), 1)))
        held = sqlite_mb()
        if held is not None:
            self.sqlite.append((t, round(held, 2)))
        heap = heap_mb()
        if heap is not None:
            self.heap.append((t, round(heap[0], 2), round(heap[1], 2)))
        self.threads.append((t, threading.active_count(), os_threads()))
        self.python.append((t, python_blocks()))


def _soak_loop(daemon: GateDaemon, duration_s: float, sample_s: float, progress: Progress | None) -> _SoakLog:
    log = _SoakLog()
    log.sample()
    stop = threading.Event()
    ends = log.started + duration_s
    next_note = log.started + 60.0
    while not stop.wait(max(0.0, min(sample_s, ends - time.monotonic()))):
        log.sample()
        if progress is not None and time.monotonic() >= next_note:
            next_note += 60.0
            held = f", SQLite {log.sqlite[-1][1]:.1f} MB" if log.sqlite else ""
            progress(f"soak: {log.samples[-1][0]:.0f}/{duration_s:g} s, RSS {log.samples[-1][1]:.1f} MB{held}, "
                     f"{daemon.status()['events_stored']} events")
        if time.monotonic() >= ends:
            break
    return log


def soak(duration_s: float = 3600.0, *, sample_s: float = 10.0, cameras: int = 2, clip: Path = SAMPLE_CLIP,
         fps: float = 5.0, broker: tuple[str, int] | None = MOSQUITTO, warmup_s: float = 5.0,
         snapshot_cap_mb: int | None = None, progress: Progress | None = None) -> SoakReport:
    """The daemon with ``cameras`` file-fed cameras (every loop of the clip a new vehicle, so events flow
    all the time), MQTT when a broker answers; RSS and threads sampled every ``sample_s`` seconds.

    ``snapshot_cap_mb`` sets the snapshots' retention cap (default: the shipped 2 GB, which an hour of the
    sample clip does not fill). A small cap makes retention delete files from the first minutes on, as it
    does on a box that has run for weeks, so that what the daemon keeps per snapshot on disk (its
    retention index) stops growing: the steady state of a long run.
    """
    if duration_s <= 0 or sample_s <= 0 or cameras < 1:
        raise ValueError("need a positive duration and sample interval and at least one camera")
    if snapshot_cap_mb is not None and snapshot_cap_mb < 1:
        raise ValueError(f"the snapshot cap must be at least 1 MB: {snapshot_cap_mb}")
    snapshots = SnapshotSettings() if snapshot_cap_mb is None else SnapshotSettings(max_total_mb=snapshot_cap_mb)
    use_mqtt = broker is not None and broker_answers(broker)
    with tempfile.TemporaryDirectory(prefix="carwatch-soak-") as work, \
            _maybe_broker(broker if use_mqtt else None) as (mqtt_s, listener):
        settings = bench_settings(Path(work), file_cameras(clip, cameras, fps), mqtt=mqtt_s,
                                  tracking=TrackingSettings(repeat_window_s=0), snapshots=snapshots)
        with running_daemon(settings) as daemon:
            wait_for_frames(daemon)
            time.sleep(warmup_s)
            mark = CpuMark.now()
            log = _soak_loop(daemon, duration_s, sample_s, progress)
            cpu = CpuMark.now().since(mark)
            status = daemon.status()
            received = listener.received if listener is not None else None
            taken = {p.camera.name: p.stats().processed + p.stats().skipped_idle for p in daemon.pipelines()}
        kept = SnapshotsKept(snapshots.max_total_mb, *_files_and_mb(Path(work)))
    return _soak_report(log, duration_s=duration_s, sample_s=sample_s, cameras=cameras, clip=clip, use_mqtt=use_mqtt,
                        status=status, received=received, taken=taken, cpu=cpu, snapshots=kept)


def _files_and_mb(folder: Path) -> tuple[int, float]:
    """How many JPEG files lie under ``folder``, and their total size in MB."""
    sizes = [path.stat().st_size for path in folder.rglob("*.jpg")]
    return len(sizes), round(sum(sizes) / 1e6, 1)


@contextmanager
def _maybe_broker(broker: tuple[str, int] | None) -> Iterator[tuple[MqttSettings | None, EventListener | None]]:
    if broker is None:
        yield None, None
        return
    with bench_broker(broker, keep=False) as (settings, listener):
        yield settings, listener


def _second_half_slope(samples: list[tuple[float, float]]) -> float | None:
    """MB/h of the least-squares line through the second half of (seconds, MB) samples; None without any."""
    if not samples:
        return None
    return round(least_squares([(t / 3600, mb) for t, mb in samples[len(samples) // 2:]])[0], 2)


def _soak_report(log: _SoakLog, *, duration_s: float, sample_s: float, cameras: int, clip: Path, use_mqtt: bool,
                 status: dict[str, Any], received: int | None, taken: dict[str, int], cpu: CpuUse,
                 snapshots: SnapshotsKept) -> SoakReport:
    rss = [s[1] for s in log.samples]
    half = log.samples[len(log.samples) // 2:]
    slope, stderr = least_squares([(t / 3600, mb) for t, mb in half])
    sqlite_slope = _second_half_slope(log.sqlite)
    heap_slope = _second_half_slope([(t, used) for t, used, _ in log.heap])
    blocks_slope = _second_half_slope([(t, float(blocks)) for t, blocks in log.python])
    conclusive = duration_s >= CONCLUSIVE_SOAK_S
    verdict = ("flat" if slope < FLAT_MB_PER_HOUR else "growing") if conclusive else "too short to tell"
    first, last = log.threads[min(1, len(log.threads) - 1)], log.threads[-1]
    return SoakReport(
        duration_s=round(log.samples[-1][0], 1), sample_s=sample_s, cameras=cameras, clip=clip_info(clip),
        mqtt=use_mqtt, samples=log.samples, rss_start_mb=rss[0], rss_end_mb=rss[-1], rss_max_mb=max(rss),
        slope_mb_per_hour=round(slope, 2), slope_stderr_mb_per_hour=round(stderr, 2),
        sqlite_samples=log.sqlite, sqlite_slope_mb_per_hour=sqlite_slope,
        heap_samples=log.heap, heap_in_use_slope_mb_per_hour=heap_slope,
        python_samples=log.python, python_blocks_slope_per_hour=blocks_slope,
        flat_threshold_mb_per_hour=FLAT_MB_PER_HOUR, flat=slope < FLAT_MB_PER_HOUR,
        conclusive=conclusive, verdict=verdict, events_stored=int(status["events_stored"]),
        events_lost=int(status["events_lost"]), events_received=received,
        outbox_depth_end=dict(status["outbox"]), dead_letters=dict(status["dead_letters"]),
        python_threads=(first[1], last[1]), os_threads=(first[2], last[2]),
        threads_grew=last[1] > first[1] or last[2] > first[2], frames_taken=taken, cpu=cpu, snapshots=snapshots)
