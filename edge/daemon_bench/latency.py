"""Bench 1: latency from a snapshot dropped into a camera's folder to its ``event`` on the broker."""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import cv2

from edge.daemon_bench.clips import FULL_HD
from edge.daemon_bench.daemon_runs import bench_settings, running_daemon, wait_until
from edge.daemon_bench.errors import BenchError
from edge.daemon_bench.event_listener import MOSQUITTO, Received, bench_broker, broker_answers
from edge.daemon_bench.process_readings import CpuMark
from edge.daemon_bench.progress import Progress
from edge.daemon_bench.reports import LATENCY_TARGET_MS, LatencyReport, Percentiles
from edge.daemon_bench.scenes import APPROACH_S, Image, scene_frames
from edge.domain import CameraRole
from edge.settings.cameras import AfterProcessing, CameraSettings
from edge.settings.daemon import DaemonSettings, TrackingSettings
from edge.settings.mqtt import MqttSettings

SAMPLE_PLATE = "B58DTK"


def _parse_time(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class _SnapshotDropper:
    """Drops pictures into a snapshot folder the way a camera's FTP upload finishes: written under a hidden
    name, stamped, then renamed into place. The mtime is the moment of the drop: the folder source takes it
    as the frame's ``captured_at``."""

    def __init__(self, folder: Path, size: tuple[int, int]) -> None:
        self._folder = folder
        self._count = 0
        arrival = list(scene_frames(size, 1.0, "arrival"))  # 5 frames of the car coming closer, 3 of road
        self.car = _jpeg(arrival[round(APPROACH_S) - 1])  # the car at the gate, plate readable
        self.road = _jpeg(arrival[-1])

    def drop(self, data: bytes) -> float:
        self._count += 1
        hidden = self._folder / f".upload-{self._count}.jpg"
        hidden.write_bytes(data)
        stamp = time.time_ns()
        os.utime(hidden, ns=(stamp, stamp))
        os.replace(hidden, self._folder / f"snap-{self._count:06d}.jpg")
        return stamp / 1e9


def _jpeg(image: Image) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise BenchError("OpenCV could not encode a JPEG")
    return bytes(data.tobytes())


def _latency_settings(work: Path, mqtt_settings: MqttSettings, busy: tuple[Path, float] | None) -> DaemonSettings:
    drop = work / "drop"
    drop.mkdir()
    plates = work / "plates.toml"
    plates.write_text(f'[[allow]]\nplate = "{SAMPLE_PLATE}"\nname = "bench car"\n')
    cameras = [CameraSettings(name="gate", source=str(drop), role=CameraRole.ENTRY, motion_gate=True,
                              after=AfterProcessing.DELETE)]
    if busy is not None:
        cameras.append(CameraSettings(name="busy", source=str(busy[0]), fps=busy[1], loop=True))
    # Every drop is a new vehicle: no repeat suppression, and a track ends 0.3 s after its last read.
    tracking = TrackingSettings(repeat_window_s=0, track_timeout_s=0.3)
    return bench_settings(work / "data", cameras, mqtt=mqtt_settings, tracking=tracking, plates=plates)


def _drive_cars(dropper: _SnapshotDropper, count: int, interval_s: float, progress: Progress | None) -> list[float]:
    """``count`` vehicles: the car picture, then half an interval later the empty road (so the motion gate
    sees the scene change and the track ends). Returns the cars' drop times."""
    times = []
    for i in range(count):
        started = time.monotonic()
        times.append(dropper.drop(dropper.car))
        time.sleep(interval_s / 2)
        dropper.drop(dropper.road)
        time.sleep(max(0.0, interval_s - (time.monotonic() - started)))
        if progress is not None and (i + 1) % 10 == 0:
            progress(f"latency: {i + 1}/{count} cars")
    return times


def _match(drops: list[float], events: list[Received]) -> list[tuple[float, Received]]:
    """Each drop with the decided event whose first_seen (the frame's captured_at, in ms) is that drop."""
    by_ms = {round(d * 1000): d for d in drops}
    pairs = []
    for event in events:
        seen = _parse_time(event.payload.get("first_seen"))
        if seen is None:
            continue
        key = round(seen * 1000)
        drop = next((by_ms[k] for k in (key, key - 1, key + 1) if k in by_ms), None)
        if drop is not None:
            pairs.append((drop, event))
    return pairs


def _stage_medians(pairs: list[tuple[float, Received]]) -> dict[str, float | None]:
    stages: dict[str, list[float]] = {"capture_to_decided": [], "decided_to_published": [], "published_to_received": []}
    for drop, event in pairs:
        decided = _parse_time(event.payload.get("decided_at"))
        published = _parse_time(event.payload.get("published_at"))
        if decided is None or published is None:
            continue
        stages["capture_to_decided"].append((decided - drop) * 1000)
        stages["decided_to_published"].append((published - decided) * 1000)
        stages["published_to_received"].append((event.arrived_at - published) * 1000)
    return {k: Percentiles.of(v).p50 for k, v in stages.items()}


def latency_to_mqtt(vehicles: int = 40, *, interval_s: float = 1.0, warmup: int = 2,
                    broker: tuple[str, int] = MOSQUITTO, busy: tuple[Path, float] | None = None,
                    picture_size: tuple[int, int] = FULL_HD, progress: Progress | None = None) -> LatencyReport:
    """Cars dropped one by one into a snapshot-folder camera as ``picture_size`` JPEGs (plate on the allow
    list, so the first read decides); latency = the ``decided`` event's arrival from the broker minus the
    drop time. ``busy`` (clip, fps) adds a file-fed camera running in the same daemon at the same time."""
    if vehicles < 1 or warmup < 0 or interval_s < 0.6:
        raise ValueError("need vehicles >= 1, warmup >= 0 and interval_s >= 0.6 (the track must end between cars)")
    if not broker_answers(broker):
        raise BenchError(f"no MQTT broker at {broker[0]}:{broker[1]}")
    with tempfile.TemporaryDirectory(prefix="carwatch-bench-") as tmp, bench_broker(broker) as (mqtt_s, listener):
        work = Path(tmp)
        with running_daemon(_latency_settings(work, mqtt_s, busy)) as daemon:
            wait_until(lambda: bool(daemon.status()["mqtt_connected"]), 15.0, "the daemon did not reach the broker")
            wait_until(lambda: daemon.status()["cameras"]["gate"]["connected"], 15.0, "the snapshot folder camera")
            dropper = _SnapshotDropper(work / "drop", picture_size)
            _drive_cars(dropper, warmup, interval_s, None)
            mark = CpuMark.now()
            drops = _drive_cars(dropper, vehicles, interval_s, progress)
            with suppress(BenchError):
                wait_until(lambda: len(_match(drops, listener.events("decided", "gate"))) >= len(drops), 5.0, "")
            cpu = CpuMark.now().since(mark)
            gate = next(p for p in daemon.pipelines() if p.camera.name == "gate")
            pipeline_ms = list(gate.stats().latency_ms)[warmup:]
            status_latency = daemon.status()["latency_ms"]
    pairs = _match(drops, listener.events("decided", "gate"))
    latency = Percentiles.of([(event.arrived_at - drop) * 1000 for drop, event in pairs])
    scenario = f"{picture_size[0]}x{picture_size[1]} snapshots, gate camera alone"
    if busy is not None:
        scenario = scenario.replace("alone", f"beside a busy camera ({busy[0].name} at {busy[1]:g} fps)")
    met = latency.p95 is not None and latency.p95 < LATENCY_TARGET_MS and len(pairs) == vehicles
    return LatencyReport(scenario, vehicles, len(pairs), latency, _stage_medians(pairs), Percentiles.of(pipeline_ms),
                         status_latency, cpu, met=met)
