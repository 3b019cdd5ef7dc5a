"""The bench's side of the MQTT broker: is one there, and which ``event`` messages arrive when."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.daemon_bench.errors import BenchError
from edge.settings.mqtt import MqttSettings

MOSQUITTO = ("127.0.0.1", 1883)


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
