"""Home Assistant MQTT discovery: each camera's last plate, direction and decision appear as sensors of one
device per site, with no YAML written by hand.

For every camera three retained config messages go to
``<discovery_prefix>/sensor/carwatch_<site>_<camera>_<what>/config``; the sensors read the retained
``<prefix>/<site>/<camera>/last_plate`` JSON the MQTT sink publishes, and are available while
``<prefix>/<site>/status`` is ``online`` (the sink's birth message and last will). An empty retained
payload on a config topic removes the sensor (:func:`removal_messages`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

DISCOVERY_PREFIX = "homeassistant"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_TOPIC_UNSAFE = str.maketrans({"/": "_", "+": "_", "#": "_", "\x00": "_"})


def topic_segment(text: str) -> str:
    """One topic level, made safe exactly as ``edge.sinks.mqtt.topic_segment`` does (not imported from there:
    the MQTT sink imports this module to announce its sensors)."""
    return text.translate(_TOPIC_UNSAFE)[:100] or "_"


@dataclass(frozen=True)
class _Sensor:
    what: str
    label: str
    field: str
    icon: str


SENSORS = (
    _Sensor("last_plate", "last plate", "plate", "mdi:car"),
    _Sensor("direction", "direction", "direction", "mdi:swap-horizontal"),
    _Sensor("decision", "decision", "decision", "mdi:boom-gate"),
)


def object_id(*parts: str) -> str:
    """``carwatch_<site>_<camera>_<what>``: Home Assistant wants ``[A-Za-z0-9_-]`` in object ids."""
    return "_".join(_ID_UNSAFE.sub("_", p[:100]) for p in ("carwatch", *parts))


def _software_version() -> str:
    try:
        return metadata.version("carwatch-edge")
    except metadata.PackageNotFoundError:
        return "unknown"


def _check_prefix(discovery_prefix: str) -> None:
    plain = discovery_prefix.strip("/") == discovery_prefix and not any(c in discovery_prefix for c in "+#\x00")
    if not discovery_prefix or not plain:
        raise ValueError("discovery_prefix must be a plain topic: not empty, no + # or NUL, no leading or trailing /")


def _config_topic(discovery_prefix: str, site: str, camera: str, what: str) -> str:
    return f"{discovery_prefix}/sensor/{object_id(site, camera, what)}/config"


def discovery_messages(site: str, cameras: Iterable[str], topic_prefix: str,
                       discovery_prefix: str = DISCOVERY_PREFIX) -> list[tuple[str, str, bool]]:
    """(topic, JSON payload, retain) of every sensor of every camera."""
    _check_prefix(discovery_prefix)
    base = f"{topic_prefix}/{topic_segment(site)}"
    device = {"identifiers": [object_id(site)], "name": f"CarWatch {site}", "manufacturer": "CarWatch",
              "model": "CarWatch Edge", "sw_version": _software_version()}
    messages = []
    for camera in dict.fromkeys(cameras):  # each camera once, in the given order
        state_topic = f"{base}/{topic_segment(camera)}/last_plate"
        for sensor in SENSORS:
            unique = object_id(site, camera, sensor.what)
            payload: dict[str, Any] = {
                "name": f"{camera} {sensor.label}", "unique_id": unique,
                "state_topic": state_topic, "value_template": f"{{{{ value_json.{sensor.field} }}}}",
                "json_attributes_topic": state_topic, "icon": sensor.icon,
                "availability_topic": f"{base}/status", "payload_available": "online",
                "payload_not_available": "offline", "device": device,
            }
            messages.append((_config_topic(discovery_prefix, site, camera, sensor.what),
                             json.dumps(payload, ensure_ascii=False), True))
    return messages


def removal_messages(site: str, cameras: Iterable[str],
                     discovery_prefix: str = DISCOVERY_PREFIX) -> list[tuple[str, str, bool]]:
    """Empty retained payloads that remove the cameras' sensors from Home Assistant."""
    _check_prefix(discovery_prefix)
    return [(_config_topic(discovery_prefix, site, camera, sensor.what), "", True)
            for camera in dict.fromkeys(cameras) for sensor in SENSORS]


def publish_discovery(client_publish: Callable[[str, str, int, bool], Any], site: str, cameras: Iterable[str],
                      topic_prefix: str, *, discovery_prefix: str = DISCOVERY_PREFIX, qos: int = 1) -> int:
    """Publish the config messages with ``client_publish(topic, payload, qos, retain)`` (paho's
    ``Client.publish``); the number published."""
    messages = discovery_messages(site, cameras, topic_prefix, discovery_prefix)
    for topic, payload, retain in messages:
        client_publish(topic, payload, qos, retain)
    return len(messages)
