"""The ``bench-daemon`` run: what it measures for how long, the machine it ran on, and its one report."""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.cpu_info import cpu_name, read_cpuinfo
from edge.daemon_bench.cameras import camera_capacity, idle_cost, two_1080p_cameras
from edge.daemon_bench.clips import CLIP_FPS, FULL_HD, write_clip
from edge.daemon_bench.errors import BenchError
from edge.daemon_bench.event_listener import MOSQUITTO
from edge.daemon_bench.latency import latency_to_mqtt
from edge.daemon_bench.progress import Progress
from edge.daemon_bench.reports import as_dict


def machine() -> dict[str, Any]:
    """The CPU, its cores and the load average now (other work on the box skews every number here)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": cpu_name(read_cpuinfo()), "cores": os.cpu_count() or 1, "python": platform.python_version(),
            "load_average": [round(x, 2) for x in load]}


@dataclass(frozen=True)
class BenchPlan:
    """How long each part of ``bench-daemon`` runs; ``quick()`` is a few seconds each (a smoke run)."""

    vehicles: int = 40
    busy_latency: bool = True  # also measure latency beside a busy 1080p camera
    capacity_step_s: float = 20.0
    max_cameras: int = 12
    two_cameras_s: float = 30.0
    idle_s: float = 30.0
    baseline_s: float = 10.0
    warmup_s: float = 3.0
    clip_size: tuple[int, int] = FULL_HD
    clip_fps: float = CLIP_FPS

    @classmethod
    def quick(cls) -> BenchPlan:
        return cls(vehicles=6, busy_latency=False, capacity_step_s=5.0, max_cameras=2, two_cameras_s=5.0,
                   idle_s=5.0, baseline_s=3.0, warmup_s=1.0)


def _part(name: str, run: Callable[[], Any], progress: Progress | None) -> dict[str, Any]:
    if progress is not None:
        progress(f"{name} ...")
    try:
        return as_dict(run())
    except BenchError as exc:
        if progress is not None:
            progress(f"{name} skipped: {exc}")
        return {"skipped": str(exc)}


def run_daemon_bench(plan: BenchPlan | None = None, progress: Progress | None = None,
                     broker: tuple[str, int] = MOSQUITTO) -> dict[str, Any]:
    """Parts 1-4 (latency to MQTT, camera capacity, two 1080p cameras, idle cost) as one JSON-ready report."""
    plan = plan or BenchPlan()
    report: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="carwatch-clips-") as tmp:
        if progress is not None:
            progress(f"writing {plan.clip_size[0]}x{plan.clip_size[1]} clips at {plan.clip_fps:g} fps ...")
        size_name = f"{plan.clip_size[1]}p"
        arrival = Path(tmp) / f"arrival-{size_name}.mp4"
        empty = Path(tmp) / f"empty-road-{size_name}.mp4"
        write_clip(arrival, plan.clip_size, plan.clip_fps, "arrival")
        write_clip(empty, plan.clip_size, plan.clip_fps, "empty")
        report["latency_to_mqtt"] = [_part("latency to MQTT", lambda: latency_to_mqtt(
            plan.vehicles, broker=broker, progress=progress), progress)]
        if plan.busy_latency:
            report["latency_to_mqtt"].append(_part("latency to MQTT beside a busy camera", lambda: latency_to_mqtt(
                plan.vehicles, broker=broker, busy=(arrival, 10.0), progress=progress), progress))
        report["camera_capacity"] = _part("camera capacity", lambda: camera_capacity(
            fps=5.0, step_s=plan.capacity_step_s, warmup_s=plan.warmup_s, max_cameras=plan.max_cameras,
            progress=progress), progress)
        report["two_1080p_cameras"] = _part("two 1080p cameras", lambda: two_1080p_cameras(
            arrival, seconds=plan.two_cameras_s, warmup_s=plan.warmup_s), progress)
        report["idle_cost"] = _part("idle cost", lambda: idle_cost(
            empty, seconds=plan.idle_s, baseline_s=plan.baseline_s, warmup_s=plan.warmup_s), progress)
    report["machine_after"] = {"load_average": machine()["load_average"]}
    return report
