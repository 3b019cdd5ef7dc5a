"""Home Assistant discovery: the config messages themselves, and one round trip through the real Mosquitto."""

from __future__ import annotations

import json
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.sinks import mqtt as mqtt_sink
from edge.sinks.homeassistant import discovery_messages, object_id, publish_discovery, removal_messages, topic_segment
from tests.services import MOSQUITTO, require_service
from tests.sinks.brokers import Subscriber, wait_for


def test_three_sensors_per_camera() -> None:
    messages = discovery_messages("gate-a", ["entry", "exit"], "carwatch")
    assert [topic for topic, _, _ in messages] == [
        f"homeassistant/sensor/carwatch_gate-a_{camera}_{what}/config"
        for camera in ("entry", "exit") for what in ("last_plate", "direction", "decision")
    ]
    assert all(retain for _, _, retain in messages)
    payloads = [json.loads(payload) for _, payload, _ in messages]
    assert len({p["unique_id"] for p in payloads}) == 6
    first = payloads[0]
    assert first == {
        "name": "entry last plate", "unique_id": "carwatch_gate-a_entry_last_plate",
        "state_topic": "carwatch/gate-a/entry/last_plate", "value_template": "{{ value_json.plate }}",
        "json_attributes_topic": "carwatch/gate-a/entry/last_plate", "icon": "mdi:car",
        "availability_topic": "carwatch/gate-a/status", "payload_available": "online",
        "payload_not_available": "offline", "device": first["device"],
    }
    assert first["device"]["identifiers"] == ["carwatch_gate-a"]
    assert {p["value_template"] for p in payloads} == {
        "{{ value_json.plate }}", "{{ value_json.direction }}", "{{ value_json.decision }}"}
    assert all(p["device"] == first["device"] for p in payloads)


def test_topics_follow_the_sink() -> None:
    # The MQTT sink makes names safe as one topic level; discovery must point at the same topics.
    messages = discovery_messages("site/1", ["cam+1"], "acme/gates", discovery_prefix="ha")
    payload = json.loads(messages[0][1])
    assert payload["state_topic"] == "acme/gates/site_1/cam_1/last_plate"
    assert payload["availability_topic"] == "acme/gates/site_1/status"
    assert messages[0][0] == "ha/sensor/carwatch_site_1_cam_1_last_plate/config"


@pytest.mark.parametrize("name", ["gate", "a/b+c#d", "\x00", "", "x" * 500, "ü/é"])
def test_topic_levels_match_the_mqtt_sink(name: str) -> None:
    assert topic_segment(name) == mqtt_sink.topic_segment(name)


def test_hostile_names_stay_valid() -> None:
    messages = discovery_messages('x"}{\n#', ["ü/<script>", "a" * 10_000], "carwatch")
    for topic, payload, _ in messages:
        assert "#" not in topic and "+" not in topic and "\n" not in topic
        assert json.loads(payload)["unique_id"] == topic.split("/")[2]
    assert object_id("ü/<script>") == "carwatch____script_"
    assert len(messages[-1][0]) < 300


def test_duplicates_and_no_cameras() -> None:
    assert len(discovery_messages("s", ["a", "a", "b"], "carwatch")) == 6
    assert discovery_messages("s", [], "carwatch") == []


@pytest.mark.parametrize("prefix", ["", "home/+", "#", "/homeassistant", "homeassistant/"])
def test_bad_discovery_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="discovery_prefix"):
        discovery_messages("s", ["a"], "carwatch", discovery_prefix=prefix)


def test_removal_messages() -> None:
    removals = removal_messages("s", ["a"])
    assert removals == [(f"homeassistant/sensor/carwatch_s_a_{w}/config", "", True)
                        for w in ("last_plate", "direction", "decision")]


def test_publish_through_the_broker_reads_back() -> None:
    require_service("Mosquitto", MOSQUITTO)
    discovery = f"test-ha-{uuid.uuid4().hex[:12]}"
    subscriber = Subscriber(MOSQUITTO[1], f"{discovery}/#")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"ha-pub-{uuid.uuid4().hex[:12]}")
    client.connect(*MOSQUITTO)
    client.loop_start()
    try:
        subscriber.wait_subscribed()
        count = publish_discovery(client.publish, "gate-a", ["entry"], "carwatch", discovery_prefix=discovery)
        assert count == 3
        topic = f"{discovery}/sensor/carwatch_gate-a_entry_decision/config"
        wait_for(lambda: bool(subscriber.on(topic)))
        assert json.loads(subscriber.on(topic)[0].payload)["unique_id"] == "carwatch_gate-a_entry_decision"

        late = Subscriber(MOSQUITTO[1], f"{discovery}/#")  # retained: a Home Assistant that starts later sees it
        try:
            wait_for(lambda: len(late.received) == 3)
            assert all(m.retain for m in late.received)
        finally:
            late.stop()
    finally:
        for removal, payload, retain in removal_messages("gate-a", ["entry"], discovery_prefix=discovery):
            client.publish(removal, payload, 1, retain).wait_for_publish(5)
        client.loop_stop()
        client.disconnect()
        subscriber.stop()
