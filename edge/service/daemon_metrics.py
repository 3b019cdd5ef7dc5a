"""The daemon's metrics: the families it exposes, filled from its status at scrape time.

Latency histograms are observed by the camera pipelines as frames are read; counters kept elsewhere
(frames captured, reconnects, outbox depth) are copied in from ``GateDaemon.status()`` when scraped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.service.metrics import MetricsRegistry

STAGE_LATENCY = "carwatch_stage_latency_ms"
DECISION_LATENCY = "carwatch_decision_latency_ms"

_PER_CAMERA = {  # status key -> (metric, kind, help)
    "frames": ("carwatch_frames_total", "counter", "Frames captured from the camera."),
    "dropped": ("carwatch_frames_dropped_total", "counter", "Frames replaced by a newer one before use."),
    "reconnects": ("carwatch_reconnects_total", "counter", "Times the camera was reopened."),
    "processed": ("carwatch_frames_read_total", "counter", "Frames read by the models."),
    "skipped_idle": ("carwatch_frames_idle_total", "counter", "Frames skipped by the motion gate."),
    "failed": ("carwatch_frames_failed_total", "counter", "Frames the models could not read."),
    "plates": ("carwatch_plate_reads_total", "counter", "Plates read in frames."),
    "vehicles": ("carwatch_vehicle_reads_total", "counter", "Tracker outputs (decided and final)."),
}


def daemon_metrics() -> MetricsRegistry:
    """A registry with every family the daemon exposes declared."""
    registry = MetricsRegistry()
    registry.histogram(STAGE_LATENCY, "Time per frame in each recognition stage (detector, reader), ms.")
    registry.histogram(DECISION_LATENCY, "From frame capture to the event stored in the outbox, ms.")
    for metric, kind, help_text in _PER_CAMERA.values():
        (registry.counter if kind == "counter" else registry.gauge)(metric, help_text)
    registry.gauge("carwatch_camera_up", "1 while the camera delivers frames.")
    registry.gauge("carwatch_last_frame_age_seconds", "Age of the camera's newest frame.")
    registry.gauge("carwatch_outbox_depth", "Events waiting in the outbox, per sink.")
    registry.gauge("carwatch_dead_letters", "Events parked for a sink after repeated failures.")
    registry.counter("carwatch_events_stored_total", "Events stored in the outbox.")
    registry.counter("carwatch_events_lost_total", "Events that could not be stored (disk, outbox error).")
    registry.gauge("carwatch_mqtt_connected", "1 while the MQTT broker is connected.")
    registry.gauge("carwatch_uptime_seconds", "Seconds since the daemon started.")
    return registry


def refresh(registry: MetricsRegistry, status: Mapping[str, Any]) -> None:
    """Copy the counters and gauges of ``GateDaemon.status()`` into the registry."""
    for name, camera in dict(status.get("cameras", {})).items():
        labels = {"camera": str(name)}
        for key, (metric, _, _) in _PER_CAMERA.items():
            if camera.get(key) is not None:
                registry.set(metric, float(camera[key]), labels)
        registry.set("carwatch_camera_up", 1.0 if camera.get("connected") else 0.0, labels)
        age = camera.get("last_frame_age_s")
        if age is not None:
            registry.set("carwatch_last_frame_age_seconds", float(age), labels)
    for sink, depth in dict(status.get("outbox", {})).items():
        registry.set("carwatch_outbox_depth", float(depth), {"sink": str(sink)})
    for sink, count in dict(status.get("dead_letters", {})).items():
        registry.set("carwatch_dead_letters", float(count), {"sink": str(sink)})
    registry.set("carwatch_events_stored_total", float(status.get("events_stored", 0)))
    registry.set("carwatch_events_lost_total", float(status.get("events_lost", 0)))
    if status.get("mqtt_connected") is not None:
        registry.set("carwatch_mqtt_connected", 1.0 if status["mqtt_connected"] else 0.0)
    registry.set("carwatch_uptime_seconds", float(status.get("uptime_s", 0.0)))
