"""One status line for ``systemctl status`` from the daemon's status mapping (``GateDaemon.status()``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

MAX_DOWN_NAMED = 3  # cameras named as down in the line; more are counted


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def status_line(status: Mapping[str, Any], now: float | None = None) -> str:
    """E.g. ``2/2 cameras up, outbox 0, 14 events, last event 12 s ago`` (or ``1/2 cameras up (exit down)``,
    ``MQTT down``). Missing or odd keys are left out, never an error."""
    now = time.time() if now is None else now
    parts = [_cameras(status.get("cameras"))]
    outbox = status.get("outbox")
    if isinstance(outbox, Mapping):
        parts.append(f"outbox {sum(int(v) for v in outbox.values() if _number(v) is not None)}")
    stored = _number(status.get("events_stored"))
    if stored is not None:
        parts.append(f"{int(stored)} events")
    last = _number(status.get("last_event_at"))
    if last is not None:
        parts.append(f"last event {max(0, round(now - last))} s ago")
    if status.get("mqtt_connected") is False:
        parts.append("MQTT down")
    return ", ".join(parts)


def _cameras(cameras: Any) -> str:
    if not isinstance(cameras, Mapping) or not cameras:
        return "no cameras"
    down = [str(name) for name, c in cameras.items() if not (isinstance(c, Mapping) and c.get("connected"))]
    text = f"{len(cameras) - len(down)}/{len(cameras)} cameras up"
    if down:
        more = len(down) - MAX_DOWN_NAMED
        named = ", ".join(down[:MAX_DOWN_NAMED]) + (f" +{more}" if more > 0 else "")
        text += f" ({named} down)"
    return text
