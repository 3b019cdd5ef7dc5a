"""``carwatch-edge eval``: counting against a manifest, with the real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.evaluation import evaluate_manifest, format_report, load_manifest
from edge.vision.recognizer import PlateRecognizer

IMAGES = Path(__file__).resolve().parent / "images"


def test_given_boxes_count_every_labelled_plate(recognizer: PlateRecognizer) -> None:
    report = evaluate_manifest(recognizer, IMAGES / "labels.jsonl", given_boxes=True)
    assert report["images"] == 5 and report["errors"] == 0
    assert report["detection"]["recall"] == 1.0
    reads = report["reads"]
    assert reads["plates"] == 5 and set(reads["per_region"]) == {"RO", "US"}
    assert reads["exact"] + len(report["misreads"]) == 5
    assert "exact reads:" in format_report(report)


def test_detector_run_counts_found_and_predicted(recognizer: PlateRecognizer) -> None:
    report = evaluate_manifest(recognizer, IMAGES / "labels.jsonl")
    det = report["detection"]
    assert det["labelled"] == 5
    assert 0 <= det["found"] <= min(det["labelled"], det["predicted"])


def test_unreadable_image_is_counted_not_fatal(recognizer: PlateRecognizer, tmp_path: Path) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"image": "broken.jpg", "plates": [{"text": "AB123", "box": [0, 0, 5, 5]}]}) + "\n")
    report = evaluate_manifest(recognizer, manifest)
    assert report["errors"] == 1 and report["reads"]["plates"] == 0


@pytest.mark.parametrize("line", ["not json", '{"plates": []}', '{"image": "a.jpg", "plates": [{"box": [1, 2]}]}'])
def test_bad_manifest_line_names_the_line(tmp_path: Path, line: str) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"image": "a.jpg", "plates": []}\n' + line + "\n")
    with pytest.raises(ValueError, match=f"{manifest}:2"):
        load_manifest(manifest)
