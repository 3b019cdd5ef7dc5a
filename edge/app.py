"""The gate daemon: builds every part from the settings, starts them in order and stops them in reverse.

Start: history database (migrations; a database that is down is retried by its sink), outbox and one
drainer per sink, plate lists (watched), models, then per camera its pipeline and its source. Stop:
sources, pipelines (open tracks end and their final events are stored), drainers (they deliver what they
can before the deadline), sinks, outbox.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.api import ApiDependencies, ApiServer, create_app
from edge.domain import CameraRole, Direction, EventSink, Presence
from edge.events.feed import EventFeed
from edge.events.lists import PlateListStore
from edge.events.matching import PlateMatcher
from edge.events.outbox import EventOutbox, OutboxDrainer
from edge.pipeline import CameraPipeline, EventRecorder
from edge.service.daemon_metrics import daemon_metrics, refresh
from edge.settings.cameras import CameraSettings
from edge.settings.daemon import DaemonSettings
from edge.settings.plate_lists import PlateLists
from edge.sinks.history import HistorySink
from edge.sinks.mqtt import MqttSink
from edge.sinks.snapshots import SnapshotSink
from edge.sources import open_camera
from edge.storage.database import Database
from edge.storage.history import HistoryRepository
from edge.storage.migrations import migrate
from edge.storage.presence import PresenceRepository
from edge.tracking import PlateTracker, TrackerConfig
from edge.vision.recognizer import PlateRecognizer
from edge.vision.self_test import BUNDLED_PLATES, read_known_plates

log = logging.getLogger(__name__)

SAMPLE_CLIP = Path(__file__).resolve().parent / "samples" / "arrival.mp4"


def sample_camera() -> CameraSettings:
    """The bundled sample source: a car arriving at an entry gate, looped."""
    return CameraSettings(name="sample", source=str(SAMPLE_CLIP), role=CameraRole.ENTRY, fps=8, loop=True)


def tracker_config(settings: DaemonSettings) -> TrackerConfig:
    t = settings.tracking
    return TrackerConfig(track_timeout=t.track_timeout_s, min_reads=t.min_reads, decide_score=t.decide_score,
                         single_read_confidence=t.single_read_confidence,
                         min_final_confidence=t.min_final_confidence, repeat_window=t.repeat_window_s)


@dataclass
class _Camera:
    settings: CameraSettings
    pipeline: CameraPipeline


class GateDaemon:
    """Everything ``carwatch-edge run`` runs. ``start()`` then ``stop()``; ``reload()`` on SIGHUP."""

    def __init__(self, settings: DaemonSettings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self._cameras: dict[str, _Camera] = {}
        self._drainers: list[OutboxDrainer] = []
        self._sinks: list[EventSink] = []
        self._mqtt: MqttSink | None = None
        self._database: Database | None = None
        self._outbox: EventOutbox | None = None
        self._lists: PlateListStore | None = None
        self._matcher = PlateMatcher(PlateLists())
        self._matcher_lock = threading.Lock()
        self._recognizer: PlateRecognizer | None = None
        self.model_self_test: list[str] | None = None  # problems reading the bundled sample plates; None: not run
        self._recorder: EventRecorder | None = None
        self._heartbeat_stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._api: ApiServer | None = None
        self.feed = EventFeed()  # stored events, live, for the API's event stream
        self._malloc_trim = _load_malloc_trim()
        self.metrics = daemon_metrics()  # Prometheus: /metrics of the API
        self.started_at = 0.0

    # ---- start ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start everything; when a part fails (a model, the outbox file), what had started is stopped again
        before the error goes up."""
        try:
            self._start()
        except BaseException:
            self.stop(deadline_s=0.0)
            raise

    @staticmethod
    def _test_models(recognizer: PlateRecognizer) -> list[str]:
        """Read the bundled sample plates; each problem is logged as a warning and returned (the daemon runs on:
        the models load, but they read differently on this machine than where they were measured)."""
        try:
            problems = [r.problem for r in read_known_plates(recognizer, BUNDLED_PLATES) if r.problem is not None]
        except (OSError, ValueError) as exc:  # a damaged installation: the samples are missing or unreadable
            problems = [f"sample photos unreadable: {exc}"]
        for problem in problems:
            log.warning("model self-test: %s: the models read differently on this machine than where they were "
                        "measured (README, Troubleshooting)", problem)
        return problems

    def _start(self) -> None:
        s = self.settings
        # The models first: a missing or corrupt model file fails before anything else has started.
        self._recognizer = PlateRecognizer.from_config(s.vision.recognizer_config())
        self.model_self_test = self._test_models(self._recognizer)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.started_at = time.time()
        self._database = Database.from_settings(s.history, self.data_dir)
        try:
            migrate(self._database)
        except Exception as exc:  # the database may come later: the history sink waits for it
            log.warning("history database not ready (%s): events wait in the outbox", exc)
        self._start_sinks()
        self._start_lists()
        presence = PresenceRepository(self._database)

        def presence_lookup(site: str, plate: str, direction: Direction) -> Presence:
            return presence.apply(site, plate, direction)

        assert self._outbox is not None
        self._recorder = EventRecorder(s.site, self._outbox, self.matcher, self._recognizer.model_versions,
                                       s.snapshots, presence=presence_lookup, feed=self.feed)
        if s.api.enabled:  # before the cameras: a taken port fails the start before any camera opens
            self._start_api()
        for camera in self.camera_settings(s):
            self._start_camera(camera)
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._heartbeat.start()
        log.info("started site %s: %d camera(s), sinks %s, data in %s", s.site, len(self._cameras),
                 ", ".join(x.name for x in self._sinks), self.data_dir.resolve())

    def _start_sinks(self) -> None:
        s = self.settings
        assert self._database is not None
        self._sinks = [HistorySink(HistoryRepository(self._database), store_blobs=s.snapshots.store_blobs)]
        if s.snapshots.keep:
            self._sinks.append(SnapshotSink(self.data_dir, s.snapshots))
        if s.mqtt.enabled:
            self._mqtt = MqttSink(s.mqtt, s.site, [c.name for c in self.camera_settings(s)])
            self._mqtt.start()
            self._sinks.append(self._mqtt)
        o = s.outbox
        self._outbox = EventOutbox(o.path(self.data_dir), [x.name for x in self._sinks], max_attempts=o.max_attempts,
                                   max_bytes=o.max_bytes())
        for name, count in self._outbox.unregistered_backlog().items():
            log.warning("outbox holds %d event(s) for sink %s, which is not configured now", count, name)
        for sink in self._sinks:
            drainer = OutboxDrainer(self._outbox, sink, o.stop_timeout_s, retry_initial_s=o.retry_initial_s,
                                    retry_max_s=o.retry_max_s, batch=o.batch)
            drainer.start()
            self._drainers.append(drainer)

    def _start_api(self) -> None:
        assert self._database is not None and self._recognizer is not None
        api = self.settings.api
        app = create_app(ApiDependencies(database=self._database, settings=api, data_dir=self.data_dir,
                                         recognize=self._recognizer.read, status=self.status,
                                         plate_lists=self._lists, events_feed=self.feed,
                                         metrics=self.metrics_text))
        self._api = ApiServer(app, api.host, api.port)
        self._api.start()
        log.info("API on %s", self._api.url)

    def _start_lists(self) -> None:
        settings = self.settings.plate_lists
        self._lists = PlateListStore(settings.path, debounce_s=settings.reload_debounce_s,
                                     max_bytes=settings.max_file_bytes, on_change=self._lists_changed)
        try:
            self._lists.load()
        except ValueError as exc:
            log.error("plate lists not loaded, none apply until the file is fixed: %s", exc)
        self._lists_changed(self._lists.lists)
        self._lists.start()

    def _lists_changed(self, lists: PlateLists) -> None:
        settings = self.settings.plate_lists
        matcher = PlateMatcher(lists, max_distance=settings.max_distance, confusion_cost=settings.confusion_cost)
        with self._matcher_lock:
            self._matcher = matcher
        log.info("plate lists: %d allow, %d deny, %d watch", len(lists.allow), len(lists.deny), len(lists.watch))

    def matcher(self) -> PlateMatcher:
        with self._matcher_lock:
            return self._matcher

    @staticmethod
    def camera_settings(settings: DaemonSettings) -> list[CameraSettings]:
        cameras = [c for c in settings.cameras if c.enabled]
        return cameras if settings.cameras else [sample_camera()]

    def _start_camera(self, camera: CameraSettings) -> None:
        assert self._recognizer is not None and self._recorder is not None
        recorder = self._recorder
        tracker = PlateTracker(camera.name, camera.role, entering_motion=camera.entering_direction.value,
                               config=tracker_config(self.settings),
                               is_listed=lambda text: recorder.is_listed(text, camera.name))
        source = open_camera(camera)
        pipeline = CameraPipeline(camera, source, self._recognizer, tracker, recorder, metrics=self.metrics)
        pipeline.start()
        source.start()
        self._cameras[camera.name] = _Camera(camera, pipeline)
        log.info("camera %s (%s, %s) started", camera.name, camera.display_source, camera.role.value)

    def _stop_camera(self, name: str) -> None:
        camera = self._cameras.pop(name)
        camera.pipeline.source.stop(timeout=5.0)
        camera.pipeline.stop(timeout=5.0)
        log.info("camera %s stopped", name)

    # ---- reload and stop --------------------------------------------------------------------------

    def reload(self, settings: DaemonSettings) -> None:
        """Apply new camera settings (SIGHUP): removed or changed cameras stop, new or changed ones start.
        Other changes (database, broker, models) need a restart and are logged as such."""
        old = {c.name: c for c in self.camera_settings(self.settings)}
        new = {c.name: c for c in self.camera_settings(settings)}
        for name, camera in old.items():
            if new.get(name) != camera:
                self._stop_camera(name)
        self.settings = self.settings.model_copy(update={"cameras": settings.cameras})
        for name, camera in new.items():
            if name not in self._cameras:
                try:
                    self._start_camera(camera)
                except (OSError, ValueError) as exc:  # say a folder went away: the other cameras still start
                    log.error("reload: camera %s not started: %s", name, exc)
        ignored = [f for f in ("site", "data_dir", "history", "mqtt", "vision", "outbox", "snapshots", "api")
                   if getattr(settings, f) != getattr(self.settings, f)]
        if ignored:
            log.warning("reload: changes to %s take effect after a restart", ", ".join(ignored))
        if self._lists is not None:
            self._lists.reload()
        if self._mqtt is not None:
            self._mqtt.set_cameras(list(self._cameras))

    def stop(self, deadline_s: float | None = None) -> None:
        """Stop in reverse order; the outbox drains until the deadline (events not delivered stay stored)."""
        deadline = time.monotonic() + (self.settings.shutdown_timeout_s if deadline_s is None else deadline_s)
        self._heartbeat_stop.set()
        self.feed.close()  # ends the API's open event streams, so the API stops without waiting for them
        if self._api is not None:  # first: no request may reach parts that are stopping
            self._api.stop()
            self._api = None
        for name in list(self._cameras):
            self._stop_camera(name)
        if self._lists is not None:
            self._lists.stop()
        for drainer in self._drainers:
            drainer.stop(deadline)
        self._drainers.clear()
        if self._mqtt is not None:
            self._mqtt.stop()
        if self._outbox is not None:
            depth = self._outbox.depth()
            if any(depth.values()):
                log.info("stopped with events still queued (they go out at the next start): %s", depth)
            self._outbox.close()
        if self._database is not None:
            self._database.close()
        if self._heartbeat is not None:
            self._heartbeat.join(2.0)
        log.info("stopped")

    # ---- state ------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Per camera frames, fps, last-frame age, reconnects; latency percentiles; outbox depth."""
        now = time.time()
        cameras = {}
        latencies: list[float] = []
        for name, camera in list(self._cameras.items()):  # the API thread reads while a reload may change it
            source = camera.pipeline.source.status()
            stats = camera.pipeline.stats()
            latencies.extend(stats.latency_ms)
            cameras[name] = {
                "connected": source.connected, "frames": source.frames, "dropped": source.dropped,
                "reconnects": source.reconnects, "error": source.error,
                "last_frame_age_s": None if source.last_frame_at is None else round(now - source.last_frame_at, 2),
                "processed": stats.processed, "skipped_idle": stats.skipped_idle, "plates": stats.plates,
                "vehicles": stats.vehicles, "failed": stats.failed,
            }
        latencies.sort()
        return {
            "site": self.settings.site, "uptime_s": round(now - self.started_at, 1), "cameras": cameras,
            "outbox": self._outbox.depth() if self._outbox is not None else {},
            "dead_letters": self._outbox.dead_letter_counts() if self._outbox is not None else {},
            "latency_ms": {"p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95)},
            "events_stored": self._recorder.stored if self._recorder is not None else 0,
            "events_lost": self._recorder.lost if self._recorder is not None else 0,
            "mqtt_connected": self._mqtt.connected if self._mqtt is not None else None,
            "plate_lists_error": self._lists.last_error if self._lists is not None else None,
            "models": self._recognizer.model_versions if self._recognizer is not None else {},
            "model_self_test": self.model_self_test,
        }

    def metrics_text(self) -> str:
        """The Prometheus text format: latency histograms, and counters copied from :meth:`status`."""
        refresh(self.metrics, self.status())
        return self.metrics.render()

    def pipelines(self) -> list[CameraPipeline]:
        return [c.pipeline for c in self._cameras.values()]

    def _beat(self) -> None:
        while not self._heartbeat_stop.wait(self.settings.heartbeat_s):
            try:
                status = self.status()
                if self._mqtt is not None:
                    self._mqtt.publish_heartbeat(status)
                log.info("status: %s", _summary(status))
                if self._malloc_trim is not None:
                    # Give freed heap pages back: frames are allocated and freed by several threads (capture,
                    # models, JPEG) and glibc's per-thread arenas otherwise keep growing over the months.
                    self._malloc_trim(0)
            except Exception:
                log.exception("heartbeat failed")


def _load_malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None



def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _summary(status: dict[str, Any]) -> str:
    cameras = ", ".join(
        f"{name} {'up' if c['connected'] else 'DOWN'} {c['processed']} frames {c['vehicles']} vehicles"
        for name, c in status["cameras"].items())
    return f"{cameras}; outbox {status['outbox']}; latency p95 {status['latency_ms']['p95']} ms"
