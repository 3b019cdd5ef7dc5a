"""The MQTT sink: events, the last plate, barrier commands, status and heartbeat on one paho client.

Topics (``<prefix>`` default ``carwatch``; site and camera names have ``/ + #`` replaced by ``_``):
  ``<prefix>/<site>/<camera>/event``       the event JSON plus ``published_at`` (QoS 1, not retained)
  ``<prefix>/<site>/<camera>/last_plate``  small JSON of the newest event (retained)
  ``<prefix>/<site>/<camera>/barrier``     {"command": "open", ...} for a "decided" event that opens
  ``<prefix>/<site>/status``               "online" on connect, "offline" as last will (retained)
  ``<prefix>/<site>/heartbeat``            JSON the lead supplies (retained)

``deliver`` publishes only while connected and waits for the broker's PUBACK; otherwise it raises
SinkUnavailable and the outbox keeps the event (never a silent drop). The client keeps a persistent
session (clean_session False, a fixed client id per site) and reconnects by itself with backoff.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from edge.domain import PlateEvent, SinkUnavailable
from edge.settings.mqtt import MqttEndpoint, MqttSettings
from edge.sinks.homeassistant import publish_discovery

log = logging.getLogger(__name__)

MAX_QUEUED = 1000  # paho's in-memory queue; the outbox is the real queue
STATUS_QOS = 1
_TOPIC_UNSAFE = str.maketrans({"/": "_", "+": "_", "#": "_", "\x00": "_"})


def topic_segment(text: str) -> str:
    """A site or camera name made safe as one topic level."""
    return text.translate(_TOPIC_UNSAFE)[:100] or "_"


def _iso(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class MqttStats:
    connected: bool
    connects: int
    disconnects: int
    published: int  # events acknowledged by the broker
    barrier_commands: int
    stale_barrier_commands: int  # not sent: the decision was older than barrier_max_age_s
    last_error: str


class MqttSink:
    """EventSink ``mqtt``. ``start()`` connects in the background (paho's network thread);
    ``stop()`` publishes "offline", disconnects and joins that thread."""

    name = "mqtt"

    def __init__(self, settings: MqttSettings, site: str, cameras: Sequence[str] = ()) -> None:
        self._settings = settings
        self._cameras = tuple(cameras)
        self._endpoint: MqttEndpoint = settings.endpoint()
        self._site = site
        self._base = f"{settings.topic_prefix}/{topic_segment(site)}"
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._counts = {"connects": 0, "disconnects": 0, "published": 0, "barrier": 0, "stale_barrier": 0}
        self._last_error = ""
        self._started = False
        self.client_id = settings.client_id_for(site)
        self._client = self._make_client(self.client_id)

    # ---- topics ----------------------------------------------------------------------------------

    @property
    def status_topic(self) -> str:
        return f"{self._base}/status"

    @property
    def heartbeat_topic(self) -> str:
        return f"{self._base}/heartbeat"

    def camera_topic(self, camera: str, leaf: str) -> str:
        return f"{self._base}/{topic_segment(camera)}/{leaf}"

    # ---- life cycle ------------------------------------------------------------------------------

    def _make_client(self, client_id: str) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                             protocol=mqtt.MQTTv311)
        endpoint = self._endpoint
        if endpoint.username:
            client.username_pw_set(endpoint.username, endpoint.password)
        if endpoint.tls:
            client.tls_set(
                ca_certs=str(endpoint.ca_file) if endpoint.ca_file else None,
                certfile=str(endpoint.cert_file) if endpoint.cert_file else None,
                keyfile=str(endpoint.key_file) if endpoint.key_file else None,
            )
            client.tls_insecure_set(endpoint.insecure)
        client.will_set(self.status_topic, "offline", qos=STATUS_QOS, retain=True)
        client.reconnect_delay_set(self._settings.reconnect_min_delay_s, self._settings.reconnect_max_delay_s)
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        return client

    def start(self) -> None:
        """Connect in the background; ``deliver`` raises SinkUnavailable until connected."""
        if self._started:
            return
        self._started = True
        log.info("mqtt: connecting to %s as %s", self._endpoint.redacted(), self.client_id)
        self._client.connect_async(self._endpoint.host, self._endpoint.port, self._settings.keepalive_s)
        self._client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Publish "offline" (retained) when connected, disconnect, join the network thread."""
        if not self._started:
            return
        self._started = False
        if self._client.is_connected():
            info = self._client.publish(self.status_topic, "offline", qos=STATUS_QOS, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.debug("mqtt: offline status not acknowledged before disconnecting")
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    @property
    def connected(self) -> bool:
        return self._client.is_connected()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            self._note_error(f"broker refused the connection: {reason_code}")
            log.warning("mqtt: %s refused the connection: %s", self._endpoint.redacted(), reason_code)
            return
        with self._lock:
            self._counts["connects"] += 1
        log.info("mqtt: connected to %s", self._endpoint.redacted())
        client.publish(self.status_topic, "online", qos=STATUS_QOS, retain=True)
        self._announce(client)
        self._connected.set()

    def set_cameras(self, cameras: Sequence[str]) -> None:
        """The cameras now running (after a reload): announced again to Home Assistant when connected."""
        with self._lock:
            self._cameras = tuple(cameras)
        if self._client.is_connected():
            self._announce(self._client)

    def _announce(self, client: mqtt.Client) -> None:
        if not self._settings.home_assistant:
            return
        with self._lock:
            cameras = self._cameras
        count = publish_discovery(client.publish, self._site, cameras, self._settings.topic_prefix,
                                  discovery_prefix=self._settings.home_assistant_prefix, qos=STATUS_QOS)
        log.info("mqtt: announced %d Home Assistant sensors", count)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        self._connected.clear()
        with self._lock:
            self._counts["disconnects"] += 1
        if self._started:
            self._note_error(f"disconnected: {reason_code}")
            log.warning("mqtt: disconnected from %s (%s), reconnecting", self._endpoint.redacted(), reason_code)

    # ---- publishing ------------------------------------------------------------------------------

    def deliver(self, event: PlateEvent, attachments: Mapping[str, bytes]) -> None:
        """Publish the event (and last plate, barrier command) and wait for the broker's ack."""
        if not self._client.is_connected():
            raise SinkUnavailable(f"not connected to the MQTT broker {self._endpoint.redacted()}")
        now = time.time()
        messages = self._messages(event, now)
        deadline = time.monotonic() + self._settings.publish_timeout_s
        infos = [self._client.publish(topic, payload, qos=qos, retain=retain)
                 for topic, payload, qos, retain in messages]
        for (topic, _, _, _), info in zip(messages, infos, strict=True):
            self._wait(topic, info, deadline)
        with self._lock:
            self._counts["published"] += 1

    def _messages(self, event: PlateEvent, now: float) -> list[tuple[str, str, int, bool]]:
        qos = self._settings.qos
        payload = {**event.to_dict(), "published_at": _iso(now)}
        last_plate = {
            "plate": event.plate, "direction": event.direction.value,
            "decision": "open" if event.open_barrier else "closed", "reason": event.reason.value,
            "time": _iso(event.decided_at), "event_id": event.event_id, "stage": event.stage,
        }
        messages = []
        if self._barrier_due(event, now):
            command = {"command": "open", "event_id": event.event_id, "plate": event.plate,
                       "camera": event.camera, "decided_at": _iso(event.decided_at)}
            messages.append((self.camera_topic(event.camera, "barrier"), _json(command), qos, False))
        messages.append((self.camera_topic(event.camera, "event"), _json(payload), qos, False))
        messages.append((self.camera_topic(event.camera, "last_plate"), _json(last_plate), qos, True))
        return messages

    def _barrier_due(self, event: PlateEvent, now: float) -> bool:
        if not (event.open_barrier and event.stage == "decided"):
            return False
        max_age = self._settings.barrier_max_age_s
        if max_age and now - event.decided_at > max_age:
            with self._lock:
                self._counts["stale_barrier"] += 1
            log.warning("mqtt: no barrier command for event %s: decided %.0f s ago (barrier_max_age_s=%s)",
                        event.event_id, now - event.decided_at, max_age)
            return False
        with self._lock:
            self._counts["barrier"] += 1
        return True

    def _wait(self, topic: str, info: mqtt.MQTTMessageInfo, deadline: float) -> None:
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise SinkUnavailable(f"publishing to {topic} failed: {mqtt.error_string(info.rc)}")
        try:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        except (RuntimeError, ValueError) as exc:
            raise SinkUnavailable(f"publishing to {topic} failed: {exc}") from exc
        if not info.is_published():
            message = f"the broker did not acknowledge {topic} within {self._settings.publish_timeout_s} s"
            self._note_error(message)
            raise SinkUnavailable(message)

    def publish_heartbeat(self, payload: Mapping[str, Any]) -> bool:
        """Publish the heartbeat JSON (retained, QoS 0) when connected; False when it was not sent."""
        if not self._client.is_connected():
            return False
        info = self._client.publish(self.heartbeat_topic, json.dumps(dict(payload), default=str), qos=0, retain=True)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def stats(self) -> MqttStats:
        with self._lock:
            return MqttStats(self._client.is_connected(), self._counts["connects"], self._counts["disconnects"],
                             self._counts["published"], self._counts["barrier"], self._counts["stale_barrier"],
                             self._last_error)

    def _note_error(self, message: str) -> None:
        with self._lock:
            self._last_error = message


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
