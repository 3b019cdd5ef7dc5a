"""The evaluation manifests: held-out photos and test plates, and the reader's validation plates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge.training import manifests
from edge.training.sources import PlateLabel, RealImage, reader_val_text

IMAGES = Path(__file__).resolve().parents[1] / "images"
BOX = (0.77, 0.75, 0.17, 0.09)


def _texts(validating: bool, count: int) -> list[str]:
    """Plate-like texts that do (or do not) validate the reader."""
    found = [t for t in (f"B{k:02d}XYZ" for k in range(1000)) if reader_val_text(t) == validating]
    return found[:count]


def _load_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_reader_val_holds_only_validating_texts_on_training_photos(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    val_text, other_val_text = _texts(True, 2)
    train_text = _texts(False, 1)[0]
    test_text = _texts(True, 3)[2]  # validating by hash, but seen on a val photo: a test plate, never val
    photos = []
    for k, (split, texts) in enumerate([("train", [val_text, train_text]), ("train", [test_text, ""]),
                                        ("train", [other_val_text]), ("val", [test_text, ""])]):
        path = tmp_path / f"p{k}.jpg"
        shutil.copy(IMAGES / "ro-B02YKD.jpg", path)
        photos.append(RealImage("ro-dashcam", path, f"g{k}", split,
                                tuple(PlateLabel(BOX, t, 1, "RO", "") for t in texts)))
    monkeypatch.setattr(manifests, "load_real_images", lambda shared: photos)
    counts = manifests.write_manifests(tmp_path / "shared", tmp_path / "eval")
    assert counts == {"val_photos": 1, "reader_test": 1, "reader_val": 2}
    val_photos = _load_lines(tmp_path / "eval" / "val_photos.jsonl")
    assert [p["text"] for p in val_photos[0]["plates"]] == [test_text, ""]
    reader_test = _load_lines(tmp_path / "eval" / "reader_test.jsonl")
    assert [p["text"] for p in reader_test[0]["plates"]] == [test_text]
    reader_val = _load_lines(tmp_path / "eval" / "reader_val.jsonl")
    assert [[p["text"] for p in e["plates"]] for e in reader_val] == [[val_text], [other_val_text]]
    assert all(p["country"] == "RO" and len(p["box"]) == 4 for e in reader_val for p in e["plates"])


def test_a_source_manifest_holds_every_photo_of_its_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photos = []
    for k, (source, split) in enumerate([("ro-dashcam", "train"), ("ro-dashcam", "val"), ("us-roboflow", "train")]):
        path = tmp_path / f"p{k}.jpg"
        shutil.copy(IMAGES / "ro-B02YKD.jpg", path)
        photos.append(RealImage(source, path, f"g{k}", split, (PlateLabel(BOX, "", 1, "", ""),)))
    monkeypatch.setattr(manifests, "load_real_images", lambda shared: photos)
    assert "source-ro-dashcam" not in manifests.write_manifests(tmp_path / "shared", tmp_path / "plain")
    counts = manifests.write_manifests(tmp_path / "shared", tmp_path / "eval", sources=True)
    assert counts["source-ro-dashcam"] == 2 and counts["source-us-roboflow"] == 1
    assert counts["source-oid-plates-416"] == 0
    ro = _load_lines(tmp_path / "eval" / "source-ro-dashcam.jsonl")
    assert [e["image"] for e in ro] == [str(photos[0].image.resolve()), str(photos[1].image.resolve())]
    assert all(len(e["plates"]) == 1 for e in ro)  # unlabelled plates too: recall counts every box
