"""Where events go after the outbox: history database, MQTT broker, snapshot files."""
