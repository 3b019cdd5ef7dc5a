"""MQTT settings (edge/settings/mqtt.py): URL or fields, TLS, secrets kept out of reprs and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.settings.mqtt import MqttEndpoint, MqttSettings


def test_defaults() -> None:
    settings = MqttSettings()
    assert settings.endpoint() == MqttEndpoint("127.0.0.1", 1883)
    assert (settings.topic_prefix, settings.qos, settings.enabled) == ("carwatch", 1, True)
    assert settings.client_id_for("hq") == "carwatch-edge-hq"
    assert MqttSettings(client_id="box-7").client_id_for("hq") == "box-7"


def test_url_with_encoded_credentials_wins_over_fields() -> None:
    settings = MqttSettings(url="mqtt://gate%40hq:p%40ss%3Aw@broker.lan:1884", host="ignored")  # type: ignore[arg-type]
    endpoint = settings.endpoint()
    assert (endpoint.host, endpoint.port, endpoint.username, endpoint.password, endpoint.tls) == (
        "broker.lan", 1884, "gate@hq", "p@ss:w", False)
    assert endpoint.redacted() == "mqtt://gate@hq:***@broker.lan:1884"
    assert "p@ss" not in repr(settings) and "p@ss" not in repr(endpoint)


def test_mqtts_means_tls_on_8883_with_files() -> None:
    settings = MqttSettings(url="mqtts://broker.lan", ca_file=Path("/etc/ca.pem"),  # type: ignore[arg-type]
                            cert_file=Path("/etc/c.pem"), key_file=Path("/etc/k.pem"))
    endpoint = settings.endpoint()
    assert (endpoint.port, endpoint.tls, endpoint.ca_file, endpoint.insecure) == (8883, True, Path("/etc/ca.pem"),
                                                                                  False)


def test_fields_with_a_secret_password() -> None:
    settings = MqttSettings(host="b", port=1999, username="u", password="Hidden-1")  # type: ignore[arg-type]
    assert settings.endpoint().password == "Hidden-1" and "Hidden-1" not in repr(settings)
    assert settings.endpoint().redacted() == "mqtt://u:***@b:1999"


@pytest.mark.parametrize(
    "values",
    [
        {"url": "http://u:Hidden-1@b"},
        {"url": "mqtt://u:Hidden-1@:1883"},
        {"url": "mqtt://u:Hidden-1@b:99999"},
        {"topic_prefix": "a/#"},
        {"topic_prefix": "/a"},
        {"topic_prefix": ""},
        {"qos": 3},
        {"key_file": "/k.pem"},
        {"hostname": "typo"},
        {"client_id": "x" * 129},
    ],
)
def test_bad_settings_are_refused_without_echoing_secrets(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        MqttSettings.model_validate(values)
    assert "Hidden-1" not in str(caught.value)


def test_every_field_has_a_description() -> None:
    for name, field in MqttSettings.model_fields.items():
        assert field.description, name
