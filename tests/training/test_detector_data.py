"""The detector's training set: held-out val photos never train it nor choose its best epoch."""

from __future__ import annotations

import shutil
from pathlib import Path

from edge.training.detector_data import write_detector_dataset
from edge.training.sources import detector_dev_photo, load_real_images

IMAGES = Path(__file__).resolve().parents[1] / "images"


def _fake_set(root: Path, photos: int) -> None:
    for split in ("train", "val"):
        (root / "oid-plates-416" / "images" / split).mkdir(parents=True)
        (root / "oid-plates-416" / "labels" / split).mkdir(parents=True)
    for k in range(photos):
        split = "val" if k % 5 == 0 else "train"
        shutil.copy(IMAGES / "ro-B02YKD.jpg", root / "oid-plates-416" / "images" / split / f"p{k:03d}.jpg")
        (root / "oid-plates-416" / "labels" / split / f"p{k:03d}.txt").write_text("0 0.77 0.75 0.17 0.09\n")


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
