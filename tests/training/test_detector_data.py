"""The detector's training set: held-out val photos never train it nor choose its best epoch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edge.training.detector_data import LeaveOutError, leave_source_out, write_detector_dataset
from edge.training.pack import pack, split_images
from edge.training.sources import detector_dev_photo, from_source, load_real_images, source_named

IMAGES = Path(__file__).resolve().parents[1] / "images"


def _fake_set(root: Path, photos: int, source: str = "oid-plates-416") -> None:
    for split in ("train", "val"):
        (root / source / "images" / split).mkdir(parents=True)
        (root / source / "labels" / split).mkdir(parents=True)
    for k in range(photos):
        split = "val" if k % 5 == 0 else "train"
        shutil.copy(IMAGES / "ro-B02YKD.jpg", root / source / "images" / split / f"p{k:03d}.jpg")
        (root / source / "labels" / split / f"p{k:03d}.txt").write_text("0 0.77 0.75 0.17 0.09\n")


def test_val_photos_stay_out_and_dev_photos_pick_the_epoch(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    _fake_set(shared, 60)
    yaml = write_detector_dataset(shared, tmp_path / "detector")
    assert "val:" in yaml.read_text()
    train = (tmp_path / "detector" / "train.txt").read_text().split()
    dev = (tmp_path / "detector" / "val.txt").read_text().split()
    photos = load_real_images(shared)
    held_out = {f"oid-plates-416__{i.image.name}" for i in photos if i.split == "val"}
    expected_dev = {f"oid-plates-416__{i.image.name}" for i in photos if detector_dev_photo(i)}
    assert held_out and expected_dev
    assert {Path(p).name for p in dev} == expected_dev
    assert not {Path(p).name for p in train + dev} & held_out
    assert len(train) + len(dev) == sum(i.split == "train" for i in photos)
    label = tmp_path / "detector" / "labels" / "val" / (Path(dev[0]).stem + ".txt")
    assert label.read_text().startswith("0 0.77")


def test_a_file_name_says_its_source_also_packed() -> None:
    name = source_named("oid-plates-416", "p001.jpg")
    assert from_source(name, "oid-plates-416") and from_source(f"/x/000012_{Path(name).stem}.webp", "oid-plates-416")
    assert not from_source(name, "oid-plates-1024") and not from_source("scene2_000001.jpg", "oid-plates-416")


@pytest.mark.parametrize("packed", [False, True])
def test_a_source_left_out_is_in_neither_training_nor_validation(tmp_path: Path, packed: bool) -> None:
    shared = tmp_path / "shared"
    _fake_set(shared, 40, "oid-plates-416")
    _fake_set(shared, 40, "oid-plates-1024")
    scenes = tmp_path / "scenes"
    (scenes / "images").mkdir(parents=True)
    for source in ("oid-plates-416", "oid-plates-1024"):  # rendered scenes pasted on each source's photos
        shutil.copy(IMAGES / "ro-B02YKD.jpg", scenes / "images" / f"{source_named(source, 'scene2_000001')}.jpg")
    data = write_detector_dataset(shared, tmp_path / "detector", extra_train=scenes)
    if packed:  # as on the GPU machine: renamed 000000_<name>.webp in folders
        data = tmp_path / "packed" / "data.yaml"
        pack(tmp_path / "detector" / "data.yaml", data.parent, 320, 40, {})
    everything = {split: _listed(data, split) for split in ("train", "val")}
    without = leave_source_out(data, "oid-plates-1024")
    assert without.name == "data-without-oid-plates-1024.yaml" and "names:\n  0: plate" in without.read_text()
    for split in ("train", "val"):
        kept = _listed(without, split)
        assert kept == [p for p in everything[split] if "oid-plates-1024__" not in p]
        assert any("oid-plates-1024__" in p for p in everything[split]) and kept
    assert sum("scene2" in p for p in _listed(without, "train")) == 1  # the other source's scene stays
    with pytest.raises(LeaveOutError, match="no training image of us-roboflow"):
        leave_source_out(data, "us-roboflow")


def _listed(data: Path, split: str) -> list[str]:
    """The image file names of a split, whether listed in a file or held in a folder (packed)."""
    return [p.name for p in split_images(data, split)]
