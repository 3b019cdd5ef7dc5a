"""The Prometheus text format written by MetricsRegistry."""

from __future__ import annotations

import threading

import pytest

from edge.service.metrics import MetricsRegistry


def test_counters_gauges_and_histograms_render_in_the_text_format() -> None:
    registry = MetricsRegistry()
    registry.counter("carwatch_frames_total", "Frames captured.")
    registry.gauge("carwatch_outbox_depth", "Events waiting.")
    registry.histogram("carwatch_stage_ms", "Stage latency.", buckets=(10, 50))
    registry.inc("carwatch_frames_total", 3, {"camera": "gate"})
    registry.set("carwatch_outbox_depth", 2, {"sink": "mqtt"})
    for value in (5, 20, 70):
        registry.observe("carwatch_stage_ms", value, {"stage": "detector"})
    text = registry.render()
    assert "# TYPE carwatch_frames_total counter" in text
    assert 'carwatch_frames_total{camera="gate"} 3' in text
    assert 'carwatch_outbox_depth{sink="mqtt"} 2' in text
    assert 'carwatch_stage_ms_bucket{stage="detector",le="10"} 1' in text
    assert 'carwatch_stage_ms_bucket{stage="detector",le="50"} 2' in text
    assert 'carwatch_stage_ms_bucket{stage="detector",le="+Inf"} 3' in text
    assert 'carwatch_stage_ms_sum{stage="detector"} 95' in text
    assert 'carwatch_stage_ms_count{stage="detector"} 3' in text
    assert text.endswith("\n")


def test_label_values_are_escaped() -> None:
    registry = MetricsRegistry()
    registry.gauge("carwatch_up", "Up.")
    registry.set("carwatch_up", 1, {"camera": 'a"b\\c\nd'})
    assert 'carwatch_up{camera="a\\"b\\\\c\\nd"} 1' in registry.render()


def test_misuse_is_refused() -> None:
    registry = MetricsRegistry()
    registry.counter("c_total", "C.")
    with pytest.raises(ValueError, match="only goes up"):
        registry.inc("c_total", -1)
    with pytest.raises(KeyError):
        registry.inc("unknown_total")
    with pytest.raises(ValueError, match="not a histogram"):
        registry.observe("c_total", 1.0)
    with pytest.raises(ValueError, match="declared twice"):
        registry.gauge("c_total", "C.")


def test_updates_from_many_threads_are_all_counted() -> None:
    registry = MetricsRegistry()
    registry.counter("n_total", "N.")
    registry.histogram("h_ms", "H.")

    def work() -> None:
        for _ in range(1000):
            registry.inc("n_total")
            registry.observe("h_ms", 12.0)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = registry.render()
    assert "n_total 8000" in text and "h_ms_count 8000" in text
