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

import json
import math
import os
import platform
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.app import SAMPLE_CLIP, GateDaemon
from edge.domain import CameraRole
from edge.settings.api import ApiSettings
from edge.settings.cameras import AfterProcessing, CameraSettings
from edge.settings.daemon import DaemonSettings, TrackingSettings
from edge.settings.mqtt import MqttSettings
from edge.settings.plate_lists import PlateListSettings

Progress = Callable[[str], None]
Image = npt.NDArray[np.uint8]

SAMPLE_IMAGE = SAMPLE_CLIP.parent / "car.jpg"
SAMPLE_PLATE = "B58DTK"
PLATE_CENTRE = (560.0, 415.0)  # the plate's centre in car.jpg (as edge/training/sample_clip.py draws it)
MOSQUITTO = ("127.0.0.1", 1883)
FULL_HD = (1920, 1080)
CLIP_FPS = 15.0  # generated clips: a camera stream set a little above the 10 fps the daemon asks for
APPROACH_S = 5.0  # generated arrival clip: the car drives up for 5 s, then the road is empty for 3 s
EMPTY_S = 3.0
NOISE_LEVEL = 3  # +-grey levels of sensor noise on generated clips, so a still scene is not a flat picture
STOP_DEADLINE_S = 5.0
LATENCY_TARGET_MS = 300.0
IDLE_TARGET_PERCENT = 5.0
FPS_TOLERANCE = 0.95  # a camera "keeps" its fps at 95 % of it or more (4.75 of 5, 9.5 of 10)
# Memory counts as flat below 2 MB/h over the soak's second half. RSS moves in steps of about a megabyte as
# glibc's arenas and onnxruntime's arena grow and shrink, and one such step over a 30-minute half reads as
# 2 MB/h, so a lower line would flag noise. Any real leak on the hot path is far above it: a frame is 1.5 to
# 6 MB and cameras deliver 5-10 per second, and even 1 kB kept per processed frame of two cameras at 5 fps
# is 36 MB/h. A 2 MB/h leak left undetected costs under 1.5 GB in a month of uptime.
FLAT_MB_PER_HOUR = 2.0
CONCLUSIVE_SOAK_S = 1800.0  # shorter soaks report their slope, but it is mostly noise


class BenchError(RuntimeError):
    """A bench could not run (no broker, a clip that cannot be written, a daemon that did not start)."""


# ---- results ----------------------------------------------------------------------------------------


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


def as_dict(report: Any) -> dict[str, Any]:
    """A report dataclass as JSON-ready values."""
    result: dict[str, Any] = asdict(report)
    return result


# ---- clips ------------------------------------------------------------------------------------------


def clip_info(path: Path) -> ClipInfo:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise BenchError(f"cannot open the clip {path}")
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or 0.0
        frames = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ") or "?"
        return ClipInfo(path.name, int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                        int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), round(fps, 2),
                        round(frames / fps, 2) if fps > 0 else 0.0, codec)
    finally:
        capture.release()


def _sample_car() -> Image:
    car = cv2.imread(str(SAMPLE_IMAGE))
    if car is None:
        raise BenchError(f"{SAMPLE_IMAGE} is missing or unreadable")
    return np.asarray(car, dtype=np.uint8)


def _road(car: Image) -> Image:
    h, w = car.shape[:2]
    colour = cv2.blur(car, (w // 4 | 1, h // 4 | 1)).mean(axis=(0, 1)).astype(np.uint8)
    return np.broadcast_to(colour, car.shape).copy()


def _car_frame(car: Image, road: Image, t: float) -> Image:
    """The car scaled from far (t=0) to near (t=1), its plate moving down the picture (as sample_clip.py)."""
    h, w = car.shape[:2]
    px, py = PLATE_CENTRE[0] * w / 960, PLATE_CENTRE[1] * h / 540
    scale = 0.4 + 0.6 * t
    target = (w / 2 + (px - w / 2) * t, h * 0.45 + (py - h * 0.45) * t)
    matrix = np.array([[scale, 0, target[0] - px * scale], [0, scale, target[1] - py * scale]], np.float32)
    frame = cv2.warpAffine(car, matrix, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (w, h)) > 0
    frame[~mask] = road[~mask]
    return np.asarray(frame, dtype=np.uint8)


SCENES = ("arrival", "empty")


def _check_scene(scene: str) -> None:
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene[:40]!r}: use {' or '.join(SCENES)}")


def scene_frames(size: tuple[int, int], fps: float, scene: str, seed: int = 0) -> Iterator[Image]:
    """Frames of ``scene``: "arrival" (the sample car drives up, then the road is empty) or "empty" (only
    the empty road), at ``size`` (width, height), with a little sensor noise on every frame."""
    _check_scene(scene)
    car = np.asarray(cv2.resize(_sample_car(), size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    road = _road(car)
    approach = round(APPROACH_S * fps) if scene == "arrival" else 0
    empty = round(EMPTY_S * fps) if scene == "arrival" else round((APPROACH_S + EMPTY_S) * fps)
    rng = np.random.default_rng(seed)
    for i in range(approach + empty):
        clean = _car_frame(car, road, i / max(1, approach - 1)) if i < approach else road
        noise = rng.integers(-NOISE_LEVEL, NOISE_LEVEL + 1, size=clean.shape[:2], dtype=np.int16)
        yield np.clip(clean.astype(np.int16) + noise[:, :, None], 0, 255).astype(np.uint8)


def write_clip(path: Path, size: tuple[int, int] = FULL_HD, fps: float = CLIP_FPS, scene: str = "arrival") -> ClipInfo:
    """Write a clip of ``scene`` (H.264 through imageio-ffmpeg when installed, else OpenCV's MPEG-4)."""
    if not (16 <= size[0] <= 7680 and 16 <= size[1] <= 4320 and size[0] % 2 == 0 == size[1] % 2):
        raise ValueError(f"clip size {size} must be even and between 16x16 and 7680x4320")
    if not 1 <= fps <= 60:
        raise ValueError(f"clip fps {fps} must be between 1 and 60")
    _check_scene(scene)
    frames = scene_frames(size, fps, scene)
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - the dev extra; the daemon itself never needs it
    except ImportError:
        _write_with_opencv(path, size, fps, frames)
    else:
        _write_with_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe(), path, size, fps, frames)
    return clip_info(path)


def _write_with_ffmpeg(exe: str, path: Path, size: tuple[int, int], fps: float, frames: Iterator[Image]) -> None:
    command = [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}",
               "-r", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
               "-pix_fmt", "yuv420p", "-g", str(round(fps)), str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as encoder:
        assert encoder.stdin is not None and encoder.stderr is not None
        try:
            for frame in frames:
                encoder.stdin.write(frame.tobytes())
        except BrokenPipeError:
            pass
        finally:
            encoder.stdin.close()
        error = encoder.stderr.read().decode(errors="replace").strip()
        if encoder.wait() != 0:
            raise BenchError(f"ffmpeg could not write {path.name}: {error[:300]}")


def _write_with_opencv(path: Path, size: tuple[int, int], fps: float, frames: Iterator[Image]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    try:
        if not writer.isOpened():
            raise BenchError(f"OpenCV cannot write {path.name} (and imageio-ffmpeg is not installed)")
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()


# ---- measuring ----------------------------------------------------------------------------------------


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MB; 0.0 where /proc is missing."""
    return _proc_status_value("VmRSS") / 1024


def os_threads() -> int:
    """Threads of this process as the kernel counts them (FFmpeg's and onnxruntime's included)."""
    return int(_proc_status_value("Threads"))


def _proc_status_value(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _thread_group(name: str | None) -> str:
    if name is None:
        return "native"
    for prefix, group in (("source-", "capture"), ("pipeline-", "pipeline"), ("outbox-", "outbox"),
                          ("paho", "mqtt"), ("MainThread", "main")):
        if name.startswith(prefix):
            return group
    return "other"


def _thread_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds of each live thread of this process, with its group (empty where /proc is missing)."""
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out: dict[int, tuple[str, float]] = {}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for task in tasks:
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/self/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
            tid = int(task)
            out[tid] = (_thread_group(names.get(tid)), (int(fields[11]) + int(fields[12])) / tick)
    return out


@dataclass(frozen=True)
class _CpuMark:
    wall: float
    process: float
    threads: dict[int, tuple[str, float]]

    @classmethod
    def now(cls) -> _CpuMark:
        return cls(time.monotonic(), time.process_time(), _thread_seconds())

    def since(self, start: _CpuMark) -> CpuUse:
        wall = max(1e-6, self.wall - start.wall)
        groups: dict[str, float] = {}
        for tid, (group, seconds) in self.threads.items():
            earlier = start.threads.get(tid, (group, 0.0))[1]
            groups[group] = groups.get(group, 0.0) + max(0.0, seconds - earlier)
        return CpuUse(round(wall, 1), round((self.process - start.process) / wall, 3),
                      {g: round(s / wall, 3) for g, s in sorted(groups.items())})


def _counters(daemon: GateDaemon) -> dict[str, tuple[int, int, int]]:
    """Per camera: frames decoded by the source, frames read by the models, frames found still."""
    out = {}
    for pipeline in daemon.pipelines():
        stats = pipeline.stats()
        out[stats.camera] = (pipeline.source.status().frames, stats.processed + stats.failed, stats.skipped_idle)
    return out


def _measure(daemon: GateDaemon, seconds: float) -> tuple[list[CameraRate], CpuUse]:
    before, mark = _counters(daemon), _CpuMark.now()
    time.sleep(seconds)
    after, cpu = _counters(daemon), _CpuMark.now().since(mark)
    rates = []
    for camera, (frames, read, still) in sorted(after.items()):
        f0, r0, s0 = before.get(camera, (0, 0, 0))
        per_s = 1.0 / cpu.seconds
        rates.append(CameraRate(camera, round((frames - f0) * per_s, 2), round((read - r0 + still - s0) * per_s, 2),
                                round((read - r0) * per_s, 2), round((still - s0) * per_s, 2)))
    return rates, cpu


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"{what} within {timeout:g} s")
        time.sleep(0.05)


# ---- the daemon -------------------------------------------------------------------------------------


def bench_settings(data_dir: Path, cameras: list[CameraSettings], *, mqtt: MqttSettings | None = None,
                   tracking: TrackingSettings | None = None, plates: Path | None = None) -> DaemonSettings:
    """Daemon settings for a bench: everything in ``data_dir``, MQTT off unless given."""
    return DaemonSettings(site="bench", data_dir=data_dir, cameras=cameras, mysql_url=None, mqtt_url=None,
                          mqtt=mqtt if mqtt is not None else MqttSettings(enabled=False),
                          tracking=tracking or TrackingSettings(),
                          plate_lists=PlateListSettings(path=plates or data_dir / "plates.toml"),
                          api=ApiSettings(enabled=False))


def file_cameras(clip: Path, count: int, fps: float) -> list[CameraSettings]:
    return [CameraSettings(name=f"cam{i + 1}", source=str(clip), role=CameraRole.BOTH, fps=fps, loop=True,
                           motion_gate=True) for i in range(count)]


@contextmanager
def running_daemon(settings: DaemonSettings) -> Iterator[GateDaemon]:
    """A started daemon, stopped on the way out (also when starting it failed half-way)."""
    daemon = GateDaemon(settings)
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop(deadline_s=STOP_DEADLINE_S)


def _wait_for_frames(daemon: GateDaemon, timeout: float = 20.0) -> None:
    def all_up() -> bool:
        cameras = daemon.status()["cameras"]
        return all(c["connected"] and c["frames"] > 0 for c in cameras.values())

    _wait_until(all_up, timeout, "the cameras delivered no frame")


def run_cameras(clip: Path, count: int, fps: float, seconds: float, warmup_s: float = 3.0) -> CamerasReport:
    """``count`` cameras playing ``clip`` (looped, at its frame rate), each asking ``fps``, measured
    for ``seconds`` after ``warmup_s``."""
    if count < 1 or seconds <= 0:
        raise ValueError("need at least one camera and a positive duration")
    with tempfile.TemporaryDirectory(prefix="carwatch-bench-") as work, \
            running_daemon(bench_settings(Path(work), file_cameras(clip, count, fps))) as daemon:
        _wait_for_frames(daemon)
        time.sleep(warmup_s)
        rates, cpu = _measure(daemon, seconds)
    held = all(r.taken_fps >= FPS_TOLERANCE * fps for r in rates) and len(rates) == count
    return CamerasReport(clip_info(clip), fps, round(cpu.seconds, 1), rates, cpu, held)


# ---- MQTT ---------------------------------------------------------------------------------------------


def broker_answers(address: tuple[str, int] = MOSQUITTO, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Received:
    arrived_at: float  # time.time() when paho handed the message over
    topic: str
    payload: dict[str, Any]


RETAINED_LEAVES = ("last_plate", "status", "heartbeat")


class EventListener:
    """Subscribes to ``<prefix>/#`` and notes when each ``event`` message arrives. ``close()`` clears the
    retained messages the daemon left under the prefix, so the broker keeps nothing of the bench."""

    def __init__(self, address: tuple[str, int], prefix: str, *, keep: bool = True) -> None:
        self._address = address
        self._prefix = prefix
        self._keep = keep  # False (the soak): only count, so the listener's memory does not grow in the measurement
        self.received = 0
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-listener", clean_session=True)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self._events: list[Received] = []
        self._retained: set[str] = set()

    def start(self, timeout: float = 10.0) -> None:
        try:
            self._client.connect(self._address[0], self._address[1], keepalive=30)
        except OSError as exc:
            raise BenchError(f"no MQTT broker at {self._address[0]}:{self._address[1]}: {exc}") from exc
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            self.close()
            raise BenchError(f"the broker did not confirm the subscription within {timeout:g} s")

    def events(self, stage: str | None = None, camera: str | None = None) -> list[Received]:
        with self._lock:
            return [e for e in self._events if (stage is None or e.payload.get("stage") == stage)
                    and (camera is None or e.payload.get("camera") == camera)]

    def close(self) -> None:
        with self._lock:
            retained = sorted(self._retained)
        if self._client.is_connected():
            for topic in retained:
                info = self._client.publish(topic, b"", qos=1, retain=True)
                with suppress(RuntimeError, ValueError):
                    info.wait_for_publish(2.0)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if not reason_code.is_failure:
            client.subscribe(f"{self._prefix}/#", qos=1)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: Any, reason_codes: Any, properties: Any) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        arrived = time.time()
        topic = message.topic
        if message.retain or topic.rsplit("/", 1)[-1] in RETAINED_LEAVES:
            with self._lock:
                self._retained.add(topic)
        if not topic.endswith("/event"):
            return
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return
        if isinstance(payload, dict):
            with self._lock:
                self.received += 1
                if self._keep:
                    self._events.append(Received(arrived, topic, payload))


def forget_session(address: tuple[str, int], client_id: str, timeout: float = 5.0) -> None:
    """End the persistent session the daemon's client left on the broker (connect clean, disconnect)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    with suppress(OSError):
        client.connect(address[0], address[1], keepalive=30)
        client.loop_start()
        connected.wait(timeout)
        client.disconnect()
        client.loop_stop()


@contextmanager
def bench_broker(address: tuple[str, int], *, keep: bool = True) -> Iterator[tuple[MqttSettings, EventListener]]:
    """MQTT settings with a topic prefix and client id of their own, and a listener on that prefix;
    the broker is left clean afterwards (retained messages cleared, the daemon's session ended)."""
    prefix = f"carwatch-bench-{uuid.uuid4().hex[:12]}"
    settings = MqttSettings(host=address[0], port=address[1], topic_prefix=prefix, client_id=f"{prefix}-daemon")
    listener = EventListener(address, prefix, keep=keep)
    listener.start()
    try:
        yield settings, listener
    finally:
        listener.close()
        forget_session(address, settings.client_id)


# ---- 1. latency to MQTT ---------------------------------------------------------------------------------


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
            _wait_until(lambda: bool(daemon.status()["mqtt_connected"]), 15.0, "the daemon did not reach the broker")
            _wait_until(lambda: daemon.status()["cameras"]["gate"]["connected"], 15.0, "the snapshot folder camera")
            dropper = _SnapshotDropper(work / "drop", picture_size)
            _drive_cars(dropper, warmup, interval_s, None)
            mark = _CpuMark.now()
            drops = _drive_cars(dropper, vehicles, interval_s, progress)
            with suppress(BenchError):
                _wait_until(lambda: len(_match(drops, listener.events("decided", "gate"))) >= len(drops), 5.0, "")
            cpu = _CpuMark.now().since(mark)
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


# ---- 2-4. cameras ------------------------------------------------------------------------------------------


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
            _wait_for_frames(daemon)
            time.sleep(warmup_s)
            rates, with_camera = _measure(daemon, seconds)
    percent = round((with_camera.cores - baseline.cores) * 100, 2)
    return IdleReport(clip_info(clip), fps, rates[0], baseline, with_camera, percent,
                      met=percent < IDLE_TARGET_PERCENT)


# ---- 5. soak --------------------------------------------------------------------------------------------------


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

    def sample(self) -> None:
        t = round(time.monotonic() - self.started, 1)
        self.samples.append((t, round(rss_mb(), 1)))
        self.threads.append((t, threading.active_count(), os_threads()))


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
            progress(f"soak: {log.samples[-1][0]:.0f}/{duration_s:g} s, RSS {log.samples[-1][1]:.1f} MB, "
                     f"{daemon.status()['events_stored']} events")
        if time.monotonic() >= ends:
            break
    return log


def soak(duration_s: float = 3600.0, *, sample_s: float = 10.0, cameras: int = 2, clip: Path = SAMPLE_CLIP,
         fps: float = 5.0, broker: tuple[str, int] | None = MOSQUITTO, warmup_s: float = 5.0,
         progress: Progress | None = None) -> SoakReport:
    """The daemon with ``cameras`` file-fed cameras (every loop of the clip a new vehicle, so events flow
    all the time), MQTT when a broker answers; RSS and threads sampled every ``sample_s`` seconds."""
    if duration_s <= 0 or sample_s <= 0 or cameras < 1:
        raise ValueError("need a positive duration and sample interval and at least one camera")
    use_mqtt = broker is not None and broker_answers(broker)
    with tempfile.TemporaryDirectory(prefix="carwatch-soak-") as work, \
            _maybe_broker(broker if use_mqtt else None) as (mqtt_s, listener):
        settings = bench_settings(Path(work), file_cameras(clip, cameras, fps), mqtt=mqtt_s,
                                  tracking=TrackingSettings(repeat_window_s=0))
        with running_daemon(settings) as daemon:
            _wait_for_frames(daemon)
            time.sleep(warmup_s)
            mark = _CpuMark.now()
            log = _soak_loop(daemon, duration_s, sample_s, progress)
            cpu = _CpuMark.now().since(mark)
            status = daemon.status()
            received = listener.received if listener is not None else None
            taken = {p.camera.name: p.stats().processed + p.stats().skipped_idle for p in daemon.pipelines()}
    return _soak_report(log, duration_s=duration_s, sample_s=sample_s, cameras=cameras, clip=clip, use_mqtt=use_mqtt,
                        status=status, received=received, taken=taken, cpu=cpu)


@contextmanager
def _maybe_broker(broker: tuple[str, int] | None) -> Iterator[tuple[MqttSettings | None, EventListener | None]]:
    if broker is None:
        yield None, None
        return
    with bench_broker(broker, keep=False) as (settings, listener):
        yield settings, listener


def _soak_report(log: _SoakLog, *, duration_s: float, sample_s: float, cameras: int, clip: Path, use_mqtt: bool,
                 status: dict[str, Any], received: int | None, taken: dict[str, int], cpu: CpuUse) -> SoakReport:
    rss = [s[1] for s in log.samples]
    half = log.samples[len(log.samples) // 2:]
    slope, stderr = least_squares([(t / 3600, mb) for t, mb in half])
    conclusive = duration_s >= CONCLUSIVE_SOAK_S
    verdict = ("flat" if slope < FLAT_MB_PER_HOUR else "growing") if conclusive else "too short to tell"
    first, last = log.threads[min(1, len(log.threads) - 1)], log.threads[-1]
    return SoakReport(
        duration_s=round(log.samples[-1][0], 1), sample_s=sample_s, cameras=cameras, clip=clip_info(clip),
        mqtt=use_mqtt, samples=log.samples, rss_start_mb=rss[0], rss_end_mb=rss[-1], rss_max_mb=max(rss),
        slope_mb_per_hour=round(slope, 2), slope_stderr_mb_per_hour=round(stderr, 2),
        flat_threshold_mb_per_hour=FLAT_MB_PER_HOUR, flat=slope < FLAT_MB_PER_HOUR,
        conclusive=conclusive, verdict=verdict, events_stored=int(status["events_stored"]),
        events_lost=int(status["events_lost"]), events_received=received,
        outbox_depth_end=dict(status["outbox"]), dead_letters=dict(status["dead_letters"]),
        python_threads=(first[1], last[1]), os_threads=(first[2], last[2]),
        threads_grew=last[1] > first[1] or last[2] > first[2], frames_taken=taken, cpu=cpu)


# ---- everything ----------------------------------------------------------------------------------------------


def _cpu_name() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """The CPU, its cores and the load average now (other work on the box skews every number here)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": _cpu_name(), "cores": os.cpu_count() or 1, "python": platform.python_version(),
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
