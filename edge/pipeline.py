"""Per camera: source -> vision -> tracking -> events -> outbox. One processing thread per camera.

``CameraPipeline`` owns its thread and its tracker; the ``EventRecorder`` is shared by all cameras and turns
what tracking decided into stored events (list match, access decision, presence, snapshot and crop).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import cv2
import numpy as np

from edge.domain import Box, CharRead, Direction, Frame, PlateEvent, PlateRead, Presence, VehicleRead
from edge.events.builder import EventBuilder
from edge.events.decision import decide
from edge.events.feed import EventFeed
from edge.events.matching import PlateMatcher
from edge.events.outbox import EventOutbox, OutboxError, OutboxFull
from edge.service.daemon_metrics import DECISION_LATENCY, STAGE_LATENCY
from edge.service.metrics import MetricsRegistry
from edge.settings.cameras import CameraSettings, SourceKind
from edge.settings.storage import SnapshotSettings
from edge.sinks.snapshots import snapshot_paths
from edge.sources import FrameSource, MotionGate, roi_pixels
from edge.tracking import PlateTracker
from edge.vision.crop import crop_plate
from edge.vision.recognizer import PlateRecognizer

log = logging.getLogger(__name__)

PresenceLookup = Callable[[str, str, Direction], Presence]  # (site, plate, direction) -> presence
IDLE_WAIT_S = 0.2  # how long the processing thread waits for a frame before it checks for ended tracks
LATENCY_SAMPLES = 512


@dataclass(frozen=True)
class PipelineStats:
    """What one camera's processing thread did (for health, heartbeat and benchmarks)."""

    camera: str
    processed: int  # frames read by the models
    skipped_rate: int  # frames not processed because they were over half an interval old when taken
    skipped_idle: int  # frames skipped by the motion gate (nothing moving, no track open)
    failed: int  # frames the models could not read (logged)
    plates: int  # plate reads
    vehicles: int  # tracker outputs (decided + final)
    last_progress: float  # monotonic time of the last loop turn, for the systemd watchdog
    latency_ms: tuple[float, ...]  # capture -> event stored, recent decisions


class EventRecorder:
    """Shared by the cameras: makes events of tracker outputs and stores them in the outbox.

    Thread-safe (one lock: event building is microseconds; JPEG encoding happens outside it). Each event
    stored is then published on ``feed`` (the live view of the API), never before the outbox holds it.
    """

    def __init__(self, site: str, outbox: EventOutbox, matcher: Callable[[], PlateMatcher],
                 models: dict[str, str], snapshots: SnapshotSettings, *,
                 presence: PresenceLookup | None = None, feed: EventFeed | None = None) -> None:
        self._outbox = outbox
        self._feed = feed
        self._matcher = matcher
        self._snapshots = snapshots
        self._presence = presence
        self._builder = EventBuilder(site, models)
        self._site = site
        self._lock = threading.Lock()
        self._presence_by_track: OrderedDict[str, Presence] = OrderedDict()
        self.stored = 0
        self.lost = 0

    def is_listed(self, text: str, camera: str) -> bool:
        return self._matcher().is_listed(text, camera)

    def record(self, read: VehicleRead) -> list[PlateEvent]:
        """Build this read's events and store them (with JPEGs unless disk space or settings say no)."""
        now = time.time()
        matches = self._matcher().match_all(read.candidates, read.camera)
        decision = decide(matches, read.camera, read.direction, datetime.fromtimestamp(now).astimezone())
        presence = self._presence_for(read)
        attachments = self._attachments(read)
        with self._lock:
            event_id = self._builder.event_id(read.track_id)
            frame_path, crop_path = snapshot_paths(event_id, date.fromtimestamp(now))
            events = self._builder.events_for(
                read, decision, presence, snapshot=frame_path if "snapshot" in attachments else None,
                crop=crop_path if "crop" in attachments else None, decided_at=now)
        for event in events:
            self._store(event, attachments)
        return events

    def _presence_for(self, read: VehicleRead) -> Presence:
        """Anti-passback state, looked up once per track: at its first event with a known direction (a
        ``both`` camera often decides before the plate has moved enough to tell the direction)."""
        known = self._presence_by_track.get(read.track_id)
        if known is not None:
            return known
        if read.direction == Direction.UNKNOWN:
            return Presence.UNKNOWN  # nothing to record yet: the final read may know the direction
        presence = Presence.UNKNOWN
        if self._presence is not None:
            try:
                presence = self._presence(self._site, read.text, read.direction)
            except Exception as exc:  # the history database may be down: the event must still go out
                log.warning("presence of %s unknown: %s", read.text, exc)
        with self._lock:
            self._presence_by_track[read.track_id] = presence
            while len(self._presence_by_track) > 4096:
                self._presence_by_track.popitem(last=False)
        return presence

    def _attachments(self, read: VehicleRead) -> dict[str, bytes]:
        if not self._snapshots.keep or read.best_frame is None:
            return {}
        params = [cv2.IMWRITE_JPEG_QUALITY, self._snapshots.jpeg_quality]
        image = read.best_frame.image
        out: dict[str, bytes] = {}
        ok, frame_jpeg = cv2.imencode(".jpg", image, params)
        if ok:
            out["snapshot"] = frame_jpeg.tobytes()
        if read.best_plate is not None:
            b = read.best_plate.box
            crop = crop_plate(image, (b.x1, b.y1, b.x2, b.y2))
            if crop.pixels.size:
                ok, crop_jpeg = cv2.imencode(".jpg", crop.pixels, params)
                if ok:
                    out["crop"] = crop_jpeg.tobytes()
        return out

    def _store(self, event: PlateEvent, attachments: dict[str, bytes]) -> None:
        try:
            self._outbox.put(event, attachments)
        except OutboxFull:
            # The disk is full: the event matters more than its pictures.
            log.warning("outbox full: storing event %s without its snapshot", event.event_id)
            event = replace(event, snapshot=None, crop=None)
            try:
                self._outbox.put(event, {})
            except OutboxError as exc:
                self.lost += 1
                log.error("event %s (%s) could not be stored: %s", event.event_id, event.plate, exc)
                return
        except OutboxError as exc:
            self.lost += 1
            log.error("event %s (%s) could not be stored: %s", event.event_id, event.plate, exc)
            return
        self.stored += 1
        log.info("event %s %s %s at %s: %s (%.2f) %s%s", event.event_id, event.stage, event.direction.value,
                 event.camera, event.plate, event.confidence, event.reason.value,
                 " OPEN" if event.open_barrier else "")
        if self._feed is not None:
            self._feed.publish(event)  # after the outbox holds it: the live view never shows a lost event


def offset_read(read: PlateRead, dx: float, dy: float) -> PlateRead:
    """A read made on a region of interest, moved into the whole frame's pixels."""
    if not dx and not dy:
        return read

    def move(box: Box) -> Box:
        return Box(box.x1 + dx, box.y1 + dy, box.x2 + dx, box.y2 + dy)

    chars = tuple(CharRead(c.char, c.confidence, move(c.box), c.row) for c in read.chars)
    return replace(read, box=move(read.box), chars=chars)


class CameraPipeline:
    """One camera's processing thread: takes the newest frame, reads it, tracks, records events."""

    def __init__(self, camera: CameraSettings, source: FrameSource, recognizer: PlateRecognizer,
                 tracker: PlateTracker, recorder: EventRecorder, *,
                 metrics: MetricsRegistry | None = None) -> None:
        self.camera = camera
        self._metrics = metrics
        self._labels = {"camera": camera.name}
        self.source = source
        self._recognizer = recognizer
        self._tracker = tracker
        self._recorder = recorder
        self._gate = MotionGate(camera.motion_threshold) if camera.motion_gate else None
        self._every_frame = camera.source_spec().kind is SourceKind.FOLDER  # each snapshot counts
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counts = {"processed": 0, "skipped_rate": 0, "skipped_idle": 0, "failed": 0, "plates": 0,
                        "vehicles": 0}
        self._latency: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self._last_progress = time.monotonic()
        self._failure_logged = 0.0

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"pipeline {self.camera.name} already started")
        self._thread = threading.Thread(target=self._run, name=f"pipeline-{self.camera.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the thread, then end every open track (their final events are recorded)."""
        self._stop.set()
        stopped = True
        if self._thread is not None:
            self._thread.join(timeout)
            stopped = not self._thread.is_alive()
        if stopped:
            self._emit(self._tracker.close_all(), None)
        return stopped

    def stats(self) -> PipelineStats:
        return PipelineStats(camera=self.camera.name, last_progress=self._last_progress,
                             latency_ms=tuple(self._latency), **self._counts)

    def _run(self) -> None:
        last_sequence = 0
        next_due = 0.0
        interval = 1.0 / self.camera.fps
        while not self._stop.is_set():
            self._last_progress = time.monotonic()
            # Ask for a frame only when one is due: a stream then converts the next frame it decodes,
            # and none of those in between (most of an idle camera's cost).
            if not self._every_frame and self._stop.wait(max(0.0, next_due - time.monotonic())):
                break
            frame = self.source.latest(last_sequence, timeout=IDLE_WAIT_S)
            if frame is None:
                self._emit(self._tracker.flush(time.time()), None)
                continue
            last_sequence = frame.sequence
            if not self._every_frame:
                if time.monotonic() - frame.monotonic > interval / 2:  # made long before it was asked for
                    self._counts["skipped_rate"] += 1
                    continue
                next_due = max(next_due + interval, time.monotonic() - interval)
            self._process(frame)

    def _process(self, frame: Frame) -> None:
        height, width = frame.image.shape[:2]
        x1, y1, x2, y2 = roi_pixels(width, height, self.camera.roi)
        region = frame.image[y1:y2, x1:x2]
        moving = self._gate.changed(region) if self._gate is not None else True
        if not moving and self._tracker.active == 0:
            self._counts["skipped_idle"] += 1
            self._emit(self._tracker.flush(frame.captured_at), None)
            return
        try:
            result = self._recognizer.read(np.ascontiguousarray(region))
        except Exception as exc:  # a bad frame must never stop the camera
            self._counts["failed"] += 1
            if time.monotonic() - self._failure_logged > 60:
                self._failure_logged = time.monotonic()
                log.warning("camera %s: frame %d not read: %s", self.camera.name, frame.sequence, exc)
            return
        self._counts["processed"] += 1
        if self._metrics is not None:
            for stage, ms in result.timings_ms.items():
                self._metrics.observe(STAGE_LATENCY, ms, {**self._labels, "stage": stage})
        reads = [offset_read(r, x1, y1) for r in result.plates]
        self._counts["plates"] += len(reads)
        self._emit(self._tracker.update(frame, reads, now=frame.captured_at), frame.monotonic)

    def _emit(self, reads: Sequence[VehicleRead], captured_monotonic: float | None) -> None:
        for read in reads:
            self._counts["vehicles"] += 1
            try:
                self._recorder.record(read)
            except Exception:
                log.exception("camera %s: event for %s not recorded", self.camera.name, read.text)
                continue
            if captured_monotonic and not read.final:
                latency_ms = (time.monotonic() - captured_monotonic) * 1000.0
                self._latency.append(latency_ms)
                if self._metrics is not None:
                    self._metrics.observe(DECISION_LATENCY, latency_ms, self._labels)
