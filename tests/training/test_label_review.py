"""Finding plates the shared labels miss, and the lists of plates and boxes confirmed by eye."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from edge.training.label_review import accept, find_candidates, main, write_review
from edge.training.sources import (
    MOVED_BOXES,
    UNBOXED_PLATES,
    PlateLabel,
    RealImage,
    load_real_images,
    read_moved_boxes,
    read_unboxed_plates,
)
from edge.vision.detector import PlateDetector
from edge.vision.recognizer import PlateRecognizer

IMAGES = Path(__file__).resolve().parents[1] / "images"
# ro-B02YKD.jpg (960x540): its labelled plate, normalised cx, cy, w, h
B02YKD = (743.4 / 960, 402.4 / 540, 164.0 / 960, 48.0 / 540)


def _photo(path: Path, boxes: list[tuple[float, float, float, float]]) -> RealImage:
    return RealImage("ro-dashcam", path, "g", "val", tuple(PlateLabel(b, "", 1, "", "") for b in boxes))


@pytest.fixture()
def detector(recognizer: PlateRecognizer) -> PlateDetector:
    return recognizer.detector


def test_a_labelled_plate_is_no_candidate_and_an_unlabelled_one_is(detector: PlateDetector) -> None:
    photo = IMAGES / "ro-B02YKD.jpg"
    assert find_candidates([_photo(photo, [B02YKD])], detector) == []
    found = find_candidates([_photo(photo, [])], detector)
    assert len(found) == 1
    x1, y1, x2, y2 = found[0].box
    assert abs((x1 + x2) / 2 - 743.4) < 30 and abs((y1 + y2) / 2 - 402.4) < 15


def test_review_sheets_and_accept_write_a_readable_plate_list(detector: PlateDetector, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    photo = shared / "ro-dashcam" / "images" / "val" / "x.jpg"
    photo.parent.mkdir(parents=True)
    shutil.copy(IMAGES / "ro-B02YKD.jpg", photo)
    image = _photo(photo, [])
    candidates = find_candidates([image], detector)
    assert write_review(candidates, {photo: image}, tmp_path / "review") == 1
    assert (tmp_path / "review" / "sheet-000.png").stat().st_size > 1000
    plates = tmp_path / "unboxed.csv"
    assert accept(tmp_path / "review", [0], shared, plates) == 1
    added = read_unboxed_plates(plates)
    [(key, [plate])] = added.items()
    assert key == ("ro-dashcam", "images/val/x.jpg") and plate.added and plate.text == ""
    assert all(abs(a - b) < 0.02 for a, b in zip(plate.box, B02YKD, strict=True))
    with pytest.raises(ValueError, match="no such candidates"):
        accept(tmp_path / "review", [7], shared, plates)


@pytest.mark.parametrize("row", [["ro-dashcam", "images/val/x.jpg", "0.5", "0.5", "nan?", "0.1", ""],
                                 ["ro-dashcam", "images/val/x.jpg", "0.5", "0.5", "0", "0.1", ""],
                                 ["ro-dashcam", "images/val/x.jpg", "1.5", "0.5", "0.1", "0.1", ""]])
def test_a_bad_unboxed_plate_row_names_its_line(tmp_path: Path, row: list[str]) -> None:
    plates = tmp_path / "unboxed.csv"
    with plates.open("w", newline="") as f:
        csv.writer(f).writerows([["source", "image", "cx", "cy", "w", "h", "note"], row])
    with pytest.raises(ValueError, match=f"{plates}:2"):
        read_unboxed_plates(plates)


def test_the_shipped_unboxed_plate_list_parses() -> None:
    added = read_unboxed_plates(UNBOXED_PLATES)
    assert sum(len(v) for v in added.values()) >= 15
    assert {source for source, _ in added} <= {"ro-dashcam", "us-roboflow", "oid-plates-416", "oid-plates-1024"}


def test_unboxed_plates_join_the_photo_after_its_shared_boxes(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    (root / "oid-plates-416" / "images" / "val").mkdir(parents=True)
    (root / "oid-plates-416" / "labels" / "val").mkdir(parents=True)
    shutil.copy(IMAGES / "ro-B02YKD.jpg", root / "oid-plates-416" / "images" / "val" / "a.jpg")
    (root / "oid-plates-416" / "labels" / "val" / "a.txt").write_text("0 0.5 0.5 0.2 0.1\n")
    plates = tmp_path / "unboxed.csv"
    plates.write_text("source,image,cx,cy,w,h,note\noid-plates-416,images/val/a.jpg,0.2,0.3,0.1,0.05,seen\n"
                      "oid-plates-416,images/val/other.jpg,0.2,0.3,0.1,0.05,\n")
    [photo] = load_real_images(root, plates)
    assert [p.added for p in photo.plates] == [False, True]
    assert photo.plates[1].box == (0.2, 0.3, 0.1, 0.05) and photo.plates[1].note == "seen"


def test_a_moved_box_replaces_only_its_own_shared_box(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    for folder in ("images", "labels"):
        (root / "oid-plates-1024" / folder / "val").mkdir(parents=True)
    for name in ("a", "b"):
        shutil.copy(IMAGES / "ro-B02YKD.jpg", root / "oid-plates-1024" / "images" / "val" / f"{name}.jpg")
        (root / "oid-plates-1024" / "labels" / "val" / f"{name}.txt").write_text(
            "0 0.5 0.5 0.2 0.1\n0 0.2 0.2 0.1 0.05\n")
    moved = tmp_path / "moved.csv"
    moved.write_text("source,image,box,cx,cy,w,h,note\noid-plates-1024,images/val/a.jpg,1,0.25,0.2,0.1,0.04,shifted\n")
    a, b = load_real_images(root, tmp_path / "no-unboxed.csv", moved)
    assert [p.box for p in a.plates] == [(0.5, 0.5, 0.2, 0.1), (0.25, 0.2, 0.1, 0.04)]
    assert [p.box for p in b.plates] == [(0.5, 0.5, 0.2, 0.1), (0.2, 0.2, 0.1, 0.05)]
    assert not any(p.added for p in a.plates)  # still the shared plate, placed again


@pytest.mark.parametrize("row", [["oid-plates-1024", "images/val/a.jpg", "", "0.5", "0.5", "0.1", "0.1", ""],
                                 ["oid-plates-1024", "images/val/a.jpg", "one", "0.5", "0.5", "0.1", "0.1", ""],
                                 ["oid-plates-1024", "images/val/a.jpg", "-1", "0.5", "0.5", "0.1", "0.1", ""],
                                 ["oid-plates-1024", "images/val/a.jpg", "0", "0.5", "0.5", "2", "0.1", ""],
                                 ["", "images/val/a.jpg", "0", "0.5", "0.5", "0.1", "0.1", ""]])
def test_a_bad_moved_box_row_names_its_line(tmp_path: Path, row: list[str]) -> None:
    moved = tmp_path / "moved.csv"
    with moved.open("w", newline="") as f:
        csv.writer(f).writerows([["source", "image", "box", "cx", "cy", "w", "h", "note"], row])
    with pytest.raises(ValueError, match=f"{moved}:2"):
        read_moved_boxes(moved)


def test_the_shipped_moved_box_list_parses() -> None:
    moved = read_moved_boxes(MOVED_BOXES)
    assert len(moved) >= 6
    assert {source for source, _, _ in moved} <= {"ro-dashcam", "us-roboflow", "oid-plates-416", "oid-plates-1024"}


@pytest.mark.parametrize("numbers", [["0"], ["x"]])
def test_accept_without_a_review_or_with_a_bad_number_exits_with_a_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], numbers: list[str]) -> None:
    shipped = UNBOXED_PLATES.read_bytes()
    with pytest.raises(SystemExit) as stopped:
        main(["--out", str(tmp_path / "none"), "--accept", *numbers])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "candidates.csv" in err or "invalid int value" in err
    assert UNBOXED_PLATES.read_bytes() == shipped
