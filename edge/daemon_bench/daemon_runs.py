"""A gate daemon run for a bench: its settings, its file-fed cameras, starting, waiting and stopping."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from edge.app import GateDaemon
from edge.daemon_bench.errors import BenchError
from edge.domain import CameraRole
from edge.settings.api import ApiSettings
from edge.settings.cameras import CameraSettings
from edge.settings.daemon import DaemonSettings, TrackingSettings
from edge.settings.mqtt import MqttSettings
from edge.settings.plate_lists import PlateListSettings
from edge.settings.storage import SnapshotSettings

STOP_DEADLINE_S = 5.0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; BenchError("<what> within <timeout> s") when it does not in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"{what} within {timeout:g} s")
        time.sleep(0.05)


def bench_settings(data_dir: Path, cameras: list[CameraSettings], *, mqtt: MqttSettings | None = None,
                   tracking: TrackingSettings | None = None, plates: Path | None = None,
                   snapshots: SnapshotSettings | None = None) -> DaemonSettings:
    """Daemon settings for a bench: everything in ``data_dir``, MQTT off unless given."""
    return DaemonSettings(site="bench", data_dir=data_dir, cameras=cameras, mysql_url=None, mqtt_url=None,
                          mqtt=mqtt if mqtt is not None else MqttSettings(enabled=False),
                          tracking=tracking or TrackingSettings(), snapshots=snapshots or SnapshotSettings(),
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


def wait_for_frames(daemon: GateDaemon, timeout: float = 20.0) -> None:
    """Wait until every camera of ``daemon`` is connected and has delivered a frame."""
    def all_up() -> bool:
        cameras = daemon.status()["cameras"]
        return all(c["connected"] and c["frames"] > 0 for c in cameras.values())

    wait_until(all_up, timeout, "the cameras delivered no frame")
