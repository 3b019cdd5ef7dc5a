"""Benches 2-4: file-fed cameras measured together, how many one box sustains, and the idle cost of one."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from edge.app import SAMPLE_CLIP, GateDaemon
from edge.daemon_bench.clips import clip_info
from edge.daemon_bench.daemon_runs import bench_settings, file_cameras, running_daemon, wait_for_frames
from edge.daemon_bench.process_readings import CpuMark
from edge.daemon_bench.progress import Progress
from edge.daemon_bench.reports import (
    IDLE_TARGET_PERCENT,
    CameraRate,
    CamerasReport,
    CapacityReport,
    CpuUse,
    IdleReport,
)
from edge.settings.cameras import CameraSettings

FPS_TOLERANCE = 0.95  # a camera "keeps" its fps at 95 % of it or more (4.75 of 5, 9.5 of 10)


def _counters(daemon: GateDaemon) -> dict[str, tuple[int, int, int]]:
    """Per camera: frames decoded by the source, frames read by the models, frames found still."""
    out = {}
    for pipeline in daemon.pipelines():
        stats = pipeline.stats()
        out[stats.camera] = (pipeline.source.status().frames, stats.processed + stats.failed, stats.skipped_idle)
    return out


def _measure(daemon: GateDaemon, seconds: float) -> tuple[list[CameraRate], CpuUse]:
    before, mark = _counters(daemon), CpuMark.now()
    time.sleep(seconds)
    after, cpu = _counters(daemon), CpuMark.now().since(mark)
    rates = []
    for camera, (frames, read, still) in sorted(after.items()):
        f0, r0, s0 = before.get(camera, (0, 0, 0))
        per_s = 1.0 / cpu.seconds
        rates.append(CameraRate(camera, round((frames - f0) * per_s, 2), round((read - r0 + still - s0) * per_s, 2),
                                round((read - r0) * per_s, 2), round((still - s0) * per_s, 2)))
    return rates, cpu


def run_cameras(clip: Path, count: int, fps: float, seconds: float, warmup_s: float = 3.0) -> CamerasReport:
    """``count`` cameras playing ``clip`` (looped, at its frame rate), each asking ``fps``, measured
    for ``seconds`` after ``warmup_s``."""
    if count < 1 or seconds <= 0:
        raise ValueError("need at least one camera and a positive duration")
    with tempfile.TemporaryDirectory(prefix="carwatch-bench-") as work, \
            running_daemon(bench_settings(Path(work), file_cameras(clip, count, fps))) as daemon:
        wait_for_frames(daemon)
        time.sleep(warmup_s)
        rates, cpu = _measure(daemon, seconds)
    held = all(r.taken_fps >= FPS_TOLERANCE * fps for r in rates) and len(rates) == count
    return CamerasReport(clip_info(clip), fps, round(cpu.seconds, 1), rates, cpu, held)


def camera_capacity(clip: Path = SAMPLE_CLIP, *, fps: float = 5.0, step_s: float = 20.0, warmup_s: float = 3.0,
                    max_cameras: int = 12, progress: Progress | None = None) -> CapacityReport:
    """N = 1, 2, 3... cameras playing ``clip`` at ``fps`` each, until one of them cannot keep 95 % of it."""
    if max_cameras < 1:
        raise ValueError("max_cameras must be at least 1")
    steps: list[CamerasReport] = []
    for count in range(1, max_cameras + 1):
        step = run_cameras(clip, count, fps, step_s, warmup_s)
        steps.append(step)
        if progress is not None:
            taken = ", ".join(f"{r.taken_fps:.2f}" for r in step.cameras)
            progress(f"capacity: {count} camera(s): {taken} fps, {step.cpu.cores:.2f} cores, "
                     f"{'held' if step.held else 'NOT held'}")
        if not step.held:
            break
    sustained = max((len(s.cameras) for s in steps if s.held), default=0)
    return CapacityReport(clip_info(clip), fps, round(FPS_TOLERANCE * fps, 2), steps, sustained,
                          limit_found=not steps[-1].held)


def two_1080p_cameras(clip: Path, *, fps: float = 10.0, seconds: float = 30.0, warmup_s: float = 3.0) -> CamerasReport:
    """Two cameras playing a 1080p clip, each asking ``fps``."""
    return run_cameras(clip, 2, fps, seconds, warmup_s)


def idle_cost(clip: Path, *, fps: float = 5.0, seconds: float = 30.0, baseline_s: float = 10.0,
              warmup_s: float = 3.0) -> IdleReport:
    """CPU of one camera looking at a still scene (``clip``: the empty road), over the daemon without cameras."""
    with tempfile.TemporaryDirectory(prefix="carwatch-bench-") as work:
        off = [CameraSettings(name="off", source=str(clip), enabled=False)]  # a list of cameras, none running
        with running_daemon(bench_settings(Path(work) / "base", off)) as daemon:
            time.sleep(warmup_s)
            _, baseline = _measure(daemon, baseline_s)
        with running_daemon(bench_settings(Path(work) / "idle", file_cameras(clip, 1, fps))) as daemon:
            wait_for_frames(daemon)
            time.sleep(warmup_s)
            rates, with_camera = _measure(daemon, seconds)
    percent = round((with_camera.cores - baseline.cores) * 100, 2)
    return IdleReport(clip_info(clip), fps, rates[0], baseline, with_camera, percent,
                      met=percent < IDLE_TARGET_PERCENT)
