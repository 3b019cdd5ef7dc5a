"""MqttSink against the real Mosquitto (and a private one that is killed and restarted)."""

from __future__ import annotations

import dataclasses
import logging
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.domain import PlateEvent, SinkUnavailable
from edge.events.outbox import EventOutbox, OutboxDrainer
from edge.settings.mqtt import MqttSettings
from edge.sinks.mqtt import MqttSink, topic_segment
from tests.services import MOSQUITTO, require_service
from tests.sinks.brokers import PrivateBroker, Subscriber, wait_for
from tests.storage.factories import free_port, make_event

REPOSITORY = Path(__file__).resolve().parents[2]
SITE = "site-1"


def settings_for(prefix: str, port: int = MOSQUITTO[1], **options: object) -> MqttSettings:
    values: dict[str, object] = {
        "enabled": True, "host": "127.0.0.1", "port": port, "topic_prefix": prefix,
        "client_id": f"cw-test-{uuid.uuid4().hex[:12]}", "publish_timeout_s": 5.0,
        "reconnect_min_delay_s": 1, "reconnect_max_delay_s": 1, **options,
    }
    return MqttSettings.model_validate(values)


def clean_up(port: int, subscriber: Subscriber, client_ids: list[str], prefix: str) -> None:
    """Remove what the test left on the shared broker: retained messages and persistent sessions."""
    topics = {m.topic for m in subscriber.received} | {f"{prefix}/{SITE}/status", f"{prefix}/{SITE}/heartbeat"}
    subscriber.stop()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cleaner-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", port, keepalive=10)
    client.loop_start()
    for topic in topics:
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    for client_id in client_ids:  # a clean session replaces the persistent one
        forget = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        forget.connect("127.0.0.1", port, keepalive=10)
        forget.disconnect()


def event_ids(messages: list) -> list[str]:  # type: ignore[type-arg]
    seen: list[str] = []
    for message in messages:
        event_id = message.json()["event_id"]
        if event_id not in seen:
            seen.append(event_id)
    return seen


@pytest.fixture
def prefix() -> str:
    require_service("Mosquitto", MOSQUITTO)
    return f"cwtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def running(prefix: str) -> Iterator[tuple[MqttSink, Subscriber]]:
    subscriber = Subscriber(MOSQUITTO[1], f"{prefix}/#")
    subscriber.wait_subscribed()
    sink = MqttSink(settings_for(prefix), site=SITE)
    sink.start()
    assert sink.wait_connected(10)
    yield sink, subscriber
    sink.stop()
    clean_up(MOSQUITTO[1], subscriber, [sink.client_id], prefix)


def test_each_event_arrives_once_with_qos_1_at_its_topic(running: tuple[MqttSink, Subscriber], prefix: str) -> None:
    sink, subscriber = running
    first, second = make_event("B01ABC"), make_event("B02ABC")
    sink.deliver(first, {"snapshot": b"not published"})
    sink.deliver(second, {})
    topic = f"{prefix}/{SITE}/gate-1/event"
    wait_for(lambda: len(subscriber.on(topic)) >= 2)
    messages = subscriber.on(topic)
    assert [m.json()["event_id"] for m in messages] == [first.event_id, second.event_id]
    assert all(m.qos == 1 and not m.retain for m in messages)
    payload = messages[0].json()
    assert payload.pop("published_at").endswith("Z")
    assert payload == first.to_dict()
    assert PlateEvent.from_dict(messages[1].json()).plate == "B02ABC"
    assert sink.stats().published == 2


def test_last_plate_is_retained(running: tuple[MqttSink, Subscriber], prefix: str) -> None:
    sink, subscriber = running
    event = make_event("B09XYZ", open_barrier=True, stage="final", revision=2)
    sink.deliver(event, {})
    topic = f"{prefix}/{SITE}/gate-1/last_plate"
    wait_for(lambda: bool(subscriber.on(topic)))
    late = Subscriber(MOSQUITTO[1], topic)
    try:
        wait_for(lambda: bool(late.on(topic)))
        message = late.on(topic)[0]
        assert message.retain
        assert message.json() == {"plate": "B09XYZ", "direction": "entering", "decision": "open",
                                  "reason": "allowed", "time": event.to_dict()["decided_at"],
                                  "event_id": event.event_id, "stage": "final"}
    finally:
        late.stop()


def test_barrier_command_only_for_a_fresh_decided_open_event(
    running: tuple[MqttSink, Subscriber], prefix: str
) -> None:
    sink, subscriber = running
    opens = make_event("OPEN1", open_barrier=True)
    closed = make_event("SHUT1", open_barrier=False)
    final = make_event("FINAL1", open_barrier=True, stage="final", revision=2)
    stale = make_event("LATE1", open_barrier=True, decided_at=time.time() - 3600)
    sentinel = make_event("LAST1")
    for event in (opens, closed, final, stale, sentinel):
        sink.deliver(event, {})
    wait_for(lambda: sentinel.event_id in event_ids(subscriber.on(f"{prefix}/{SITE}/gate-1/event")))
    commands = subscriber.on(f"{prefix}/{SITE}/gate-1/barrier")
    assert len(commands) == 1 and commands[0].qos == 1 and not commands[0].retain
    command = commands[0].json()
    assert (command["command"], command["event_id"], command["plate"]) == ("open", opens.event_id, "OPEN1")
    assert sink.stats().barrier_commands == 1 and sink.stats().stale_barrier_commands == 1


def test_status_is_online_then_offline_on_a_clean_stop(prefix: str) -> None:
    status = f"{prefix}/{SITE}/status"
    subscriber = Subscriber(MOSQUITTO[1], status)
    subscriber.wait_subscribed()
    sink = MqttSink(settings_for(prefix), site=SITE)
    sink.start()
    try:
        wait_for(lambda: [m.payload for m in subscriber.on(status)] == [b"online"])
        sink.stop()
        wait_for(lambda: [m.payload for m in subscriber.on(status)] == [b"online", b"offline"])
        assert not sink.connected
        with pytest.raises(SinkUnavailable):
            sink.deliver(make_event(), {})
    finally:
        sink.stop()
        clean_up(MOSQUITTO[1], subscriber, [sink.client_id], prefix)


def test_last_will_says_offline_when_the_process_dies(prefix: str) -> None:
    status = f"{prefix}/{SITE}/status"
    subscriber = Subscriber(MOSQUITTO[1], status)
    subscriber.wait_subscribed()
    client_id = f"cw-test-{uuid.uuid4().hex[:12]}"
    script = (
        "import sys, time\n"
        "from edge.settings.mqtt import MqttSettings\n"
        "from edge.sinks.mqtt import MqttSink\n"
        "s = MqttSink(MqttSettings(enabled=True, host='127.0.0.1', topic_prefix=sys.argv[1], client_id=sys.argv[2]),"
        " site='site-1')\n"
        "s.start()\n"
        "assert s.wait_connected(10)\n"
        "print('connected', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, prefix, client_id], cwd=REPOSITORY,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "connected"
        wait_for(lambda: [m.payload for m in subscriber.on(status)] == [b"online"])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    wait_for(lambda: [m.payload for m in subscriber.on(status)] == [b"online", b"offline"])
    late = Subscriber(MOSQUITTO[1], status)
    try:
        wait_for(lambda: [(m.payload, m.retain) for m in late.on(status)] == [(b"offline", True)])
    finally:
        late.stop()
        clean_up(MOSQUITTO[1], subscriber, [client_id], prefix)


def test_heartbeat_is_retained_and_only_sent_when_connected(
    running: tuple[MqttSink, Subscriber], prefix: str
) -> None:
    sink, subscriber = running
    beat = {"cameras": {"gate-1": {"fps": 12.5, "last_frame_age_s": 0.1}}, "outbox": {"mqtt": 0}}
    assert sink.publish_heartbeat(beat) is True
    topic = f"{prefix}/{SITE}/heartbeat"
    wait_for(lambda: bool(subscriber.on(topic)))
    assert subscriber.on(topic)[0].json() == beat
    idle = MqttSink(settings_for(prefix, port=free_port()), site=SITE)
    assert idle.publish_heartbeat(beat) is False


def test_hostile_names_become_single_topic_levels(running: tuple[MqttSink, Subscriber], prefix: str) -> None:
    sink, subscriber = running
    assert topic_segment("a/b+c#d\x00") == "a_b_c_d_" and topic_segment("") == "_"
    assert len(topic_segment("x" * 10_000)) == 100
    plate = "\u00c4'\"\U0001f697"
    event = make_event(plate, camera="cam/+#1")
    sink.deliver(event, {})
    topic = f"{prefix}/{SITE}/cam___1/event"
    wait_for(lambda: bool(subscriber.on(topic)))
    assert subscriber.on(topic)[0].json()["plate"] == plate
    assert subscriber.on(topic)[0].json()["camera"] == "cam/+#1"


def test_an_event_that_cannot_be_json_is_an_error_not_unavailable(running: tuple[MqttSink, Subscriber]) -> None:
    sink, _ = running
    with pytest.raises(ValueError):
        sink.deliver(dataclasses.replace(make_event(), confidence=float("nan")), {})


def test_unreachable_broker_keeps_the_event_in_the_outbox(prefix: str, tmp_path: Path) -> None:
    sink = MqttSink(settings_for(prefix, port=free_port()), site=SITE)
    sink.start()
    outbox = EventOutbox(tmp_path / "outbox.sqlite3", ["mqtt"])
    drainer = OutboxDrainer(outbox, sink, retry_initial_s=0.01, retry_max_s=0.05)
    try:
        with pytest.raises(SinkUnavailable, match="not connected"):
            sink.deliver(make_event(), {})
        outbox.put(make_event())
        drainer.start()
        wait_for(lambda: drainer.stats().retries >= 3)
        assert outbox.depth() == {"mqtt": 1} and drainer.stats().parked == 0
    finally:
        drainer.stop(time.monotonic() + 0.2)
        sink.stop()
        outbox.close()


def test_the_password_never_reaches_the_log(prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(prefix, url=f"mqtt://gate:Sup3r-S3cret@127.0.0.1:{MOSQUITTO[1]}")
    assert "Sup3r-S3cret" not in repr(settings) and "Sup3r-S3cret" not in repr(settings.endpoint())
    subscriber = Subscriber(MOSQUITTO[1], f"{prefix}/#")
    subscriber.wait_subscribed()
    sink = MqttSink(settings, site=SITE)
    sink.start()
    try:
        assert sink.wait_connected(10)
        sink.deliver(make_event(), {})
        wait_for(lambda: bool(subscriber.on(f"{prefix}/{SITE}/gate-1/last_plate")))
    finally:
        sink.stop()
        clean_up(MOSQUITTO[1], subscriber, [sink.client_id], prefix)
    assert "gate:***@127.0.0.1" in caplog.text
    assert "Sup3r-S3cret" not in caplog.text


def test_broker_killed_and_restarted_loses_no_event(prefix: str, tmp_path: Path) -> None:
    broker = PrivateBroker(free_port(), tmp_path)
    broker.start()
    subscriber = Subscriber(broker.port, f"{prefix}/+/+/event", client_id=f"sub-{uuid.uuid4().hex[:10]}",
                            clean_session=False)
    subscriber.wait_subscribed()
    subscribed_at = time.time()
    sink = MqttSink(settings_for(prefix, port=broker.port, publish_timeout_s=2.0), site=SITE)
    outbox = EventOutbox(tmp_path / "outbox.sqlite3", ["mqtt"])
    drainer = OutboxDrainer(outbox, sink, retry_initial_s=0.05, retry_max_s=0.2)
    events = [make_event(f"R{i:02d}") for i in range(20)]
    try:
        sink.start()
        assert sink.wait_connected(10)
        drainer.start()
        for event in events[:5]:
            outbox.put(event)
        wait_for(lambda: len(event_ids(subscriber.received)) == 5)
        wait_for(lambda: broker.saved_at > subscribed_at)  # the subscriber's session is on disk

        broker.kill()
        wait_for(lambda: not sink.connected)
        for event in events[5:]:
            outbox.put(event)
        wait_for(lambda: drainer.stats().retries >= 2)
        assert outbox.depth()["mqtt"] == 15

        broker.start()
        wait_for(lambda: outbox.depth()["mqtt"] == 0, timeout=30)
        wait_for(lambda: len(event_ids(subscriber.received)) == 20, timeout=30)
        assert event_ids(subscriber.received) == [e.event_id for e in events]  # first arrivals in put order
        assert drainer.stats().parked == 0
    finally:
        drainer.stop(time.monotonic() + 2)
        sink.stop()
        subscriber.stop()
        broker.kill()
        outbox.close()
