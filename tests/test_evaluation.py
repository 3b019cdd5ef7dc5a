"""``carwatch-edge eval``: counting against a manifest, with the real models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge import evaluation
from edge.evaluation import evaluate_manifest, format_report, load_manifest
from edge.simulated_conditions import Condition, seed_for, simulate
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


@pytest.mark.parametrize("line", ["not json", '{"plates": []}', '{"image": "a.jpg", "plates": [{"box": [1, 2]}]}',
                                  *('{"image": "a.jpg", "plates": [{"box": [1, 2, 3, 4], "ignore": ' + flag + "}]}"
                                    for flag in ('"yes"', "1", "null"))])
def test_bad_manifest_line_names_the_line(tmp_path: Path, line: str) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"image": "a.jpg", "plates": []}\n' + line + "\n")
    with pytest.raises(ValueError, match=f"{manifest}:2"):
        load_manifest(manifest)


def _manifest_with(tmp_path: Path, image: str, plates: list[dict[str, object]]) -> Path:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"image": str(IMAGES / image), "plates": plates}) + "\n")
    return manifest


def test_a_found_plate_marked_ignore_is_not_a_false_detection(recognizer: PlateRecognizer, tmp_path: Path) -> None:
    truth: dict[str, object] = {"text": "B02YKD", "box": [661.4, 378.4, 825.4, 426.4]}
    plain = evaluate_manifest(recognizer, _manifest_with(tmp_path, "ro-B02YKD.jpg", [truth]))
    assert plain["detection"]["found"] == 1  # the shipped detector finds this plate
    ignored = evaluate_manifest(recognizer, _manifest_with(tmp_path, "ro-B02YKD.jpg", [{**truth, "ignore": True}]))
    det = ignored["detection"]
    assert det["labelled"] == 0 and det["found"] == 0 and det["ignored"] == 1
    assert det["predicted"] == plain["detection"]["predicted"] - 1
    assert ignored["reads"]["plates"] == 0
    assert "marked ignore not counted" in format_report(ignored)


def test_an_unfound_plate_marked_ignore_is_not_a_miss(recognizer: PlateRecognizer, tmp_path: Path) -> None:
    truth: dict[str, object] = {"text": "B02YKD", "box": [661.4, 378.4, 825.4, 426.4]}
    nowhere = {"box": [2.0, 2.0, 30.0, 12.0], "ignore": True}
    report = evaluate_manifest(recognizer, _manifest_with(tmp_path, "ro-B02YKD.jpg", [truth, nowhere]))
    det = report["detection"]
    assert det["labelled"] == 1 and det["found"] == 1 and det["recall"] == 1.0 and det["ignored"] == 0


def test_the_frames_of_one_plate_vote_once(recognizer: PlateRecognizer, tmp_path: Path) -> None:
    truth = {"text": "B02YKD", "box": [661.4, 378.4, 825.4, 426.4]}
    wrong = {"text": "TR95XMA", "box": [340.4, 499.4, 521.9, 540.0]}  # TR95XMI labelled with a wrong last letter
    lines = [{"image": str(IMAGES / "ro-B02YKD.jpg"), "plates": [truth]}] * 3
    lines += [{"image": str(IMAGES / "ro-TR95XMI.jpg"), "plates": [wrong]},
              {"image": str(IMAGES / "ro-B58DTK.jpg"), "plates": [{"text": "B58DTK", "box": [1, 1, 9, 5]}]}]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = evaluate_manifest(recognizer, manifest)
    vote = report["reads"]["vote"]
    assert report["reads"]["plates"] == 5 and vote["plates"] == 3 and vote["several_frames"] == 1
    read = not any(m["expected"] == "B02YKD" for m in report["misreads"])  # three identical frames: all or none
    misread = {"TR95XMA", "B58DTK"} if read else {"TR95XMA", "B58DTK", "B02YKD"}
    assert vote["exact"] == int(read) and set(vote["misreads"]) == misread
    assert vote["misreads"]["B58DTK"] == "(no read)"  # a tiny box nowhere near the plate: never found
    assert f"voted over each plate's frames: {vote['accuracy']} ({int(read)}/3 plates, 1 seen in several frames)" \
        in format_report(report)


def test_a_single_photo_per_plate_votes_as_it_reads(recognizer: PlateRecognizer) -> None:
    report = evaluate_manifest(recognizer, IMAGES / "labels.jsonl", given_boxes=True)
    vote = report["reads"]["vote"]
    assert vote["plates"] == 5 and vote["several_frames"] == 0 and vote["exact"] == report["reads"]["exact"]


def test_a_simulated_condition_degrades_each_image_once_and_is_reported(
        recognizer: PlateRecognizer, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Condition, int]] = []

    def recording(image: np.ndarray, condition: Condition, seed: int) -> np.ndarray:
        seen.append((condition, seed))
        return simulate(image, condition, seed)

    monkeypatch.setattr(evaluation, "simulate", recording)
    manifest = IMAGES / "labels.jsonl"
    report = evaluate_manifest(recognizer, manifest, given_boxes=True, condition=Condition.LOW_RES)
    assert report["condition"] == "low-res" and report["reads"]["plates"] == 5
    assert seen == [(Condition.LOW_RES, seed_for(str(item.image))) for item in load_manifest(manifest)]
    assert "simulated condition: low-res" in format_report(report)
    assert evaluate_manifest(recognizer, manifest, given_boxes=True)["condition"] is None
