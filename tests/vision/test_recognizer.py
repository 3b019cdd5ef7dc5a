"""The shipped models on real photos and rendered plates: no mocks, the real ONNX files."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from edge.domain import Box, Detection, PlateRead
from edge.settings.vision import VisionSettings
from edge.vision.image import read_image
from edge.vision.postprocess import box_iou
from edge.vision.recognizer import PlateRecognizer

IMAGES = Path(__file__).resolve().parents[1] / "images"
# Measured on the five committed held-out photos with the shipped models (models/README.md);
# a new model must not do worse.
MIN_EXACT_REAL_READS = 1
RENDERED_PER_LAYOUT = 6
MIN_RENDERED_EXACT = {"eu": 3, "uk": 2, "us": 4, "br_old": 4, "mercosur": 3, "two_row": 3, "moto": 4}
SLANT_LAYOUT, SLANT_SEED, SLANT_DEGREES = "uk", 1000, 14.0


def _best_match(plates: tuple[PlateRead, ...], box: list[float]) -> tuple[float, PlateRead | None]:
    if not plates:
        return 0.0, None
    ious = box_iou(np.array(box), np.array([[p.box.x1, p.box.y1, p.box.x2, p.box.y2] for p in plates]))
    k = int(ious.argmax())
    return float(ious[k]), plates[k]


def test_finds_every_labelled_plate_on_real_photos(recognizer: PlateRecognizer,
                                                   labelled_images: list[dict[str, Any]]) -> None:
    missed = []
    for item in labelled_images:
        result = recognizer.read(read_image(IMAGES / item["image"]))
        for plate in item["plates"]:
            iou, _ = _best_match(result.plates, plate["box"])
            if iou < 0.5:
                missed.append((item["image"], round(iou, 2)))
    assert not missed, missed


def test_reads_real_photos(recognizer: PlateRecognizer, labelled_images: list[dict[str, Any]]) -> None:
    reads = []
    for item in labelled_images:
        result = recognizer.read(read_image(IMAGES / item["image"]))
        for plate in item["plates"]:
            _, found = _best_match(result.plates, plate["box"])
            reads.append((plate["text"], found.text if found else None))
    exact = sum(expected == got for expected, got in reads)
    assert exact >= MIN_EXACT_REAL_READS, reads


def test_char_boxes_are_in_original_image_pixels(recognizer: PlateRecognizer) -> None:
    result = recognizer.read(read_image(IMAGES / "ro-B58DTK.jpg"))
    plate = result.plates[0]
    assert plate.chars, "expected characters on the plate"
    margin = plate.box.width * 0.2
    for char in plate.chars:
        assert plate.box.x1 - margin <= char.box.x1 < char.box.x2 <= plate.box.x2 + margin
        assert plate.box.y1 - margin <= char.box.y1 < char.box.y2 <= plate.box.y2 + margin
    assert [c.box.x1 for c in plate.chars] == sorted(c.box.x1 for c in plate.chars)


def test_one_recognizer_shared_by_threads_gives_the_same_reads(recognizer: PlateRecognizer) -> None:
    frames = [read_image(p) for p in sorted(IMAGES.glob("*.jpg"))]
    expected = [[(p.text, p.box) for p in recognizer.read(f).plates] for f in frames]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda f: [(p.text, p.box) for p in recognizer.read(f).plates], frames * 4))
    assert results == expected * 4


def test_timings_are_reported(recognizer: PlateRecognizer) -> None:
    timings = recognizer.read(read_image(IMAGES / "us-BYE4NOW.jpg")).timings_ms
    assert set(timings) == {"detector", "reader", "total"}
    assert timings["total"] >= timings["detector"] > 0


def test_blank_frame_has_no_plates(recognizer: PlateRecognizer) -> None:
    assert recognizer.read(np.full((480, 640, 3), 90, np.uint8)).plates == ()


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 2000, 3), (2000, 3, 3)])
def test_degenerate_frames_do_not_crash(recognizer: PlateRecognizer, shape: tuple[int, int, int]) -> None:
    assert isinstance(recognizer.read(np.zeros(shape, np.uint8)).plates, tuple)


def _on_background(plate: np.ndarray, box: Box, angle: float = 0.0) -> tuple[np.ndarray, Box]:
    """Put a rendered plate picture in the middle of a plain scene, rotated; returns the plate's new box."""
    h, w = plate.shape[:2]
    scene = np.full((h * 4, w * 2, 3), 60, np.uint8)
    y, x = h * 3 // 2, w // 2
    scene[y : y + h, x : x + w] = plate
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), angle, 1.0)
    scene = cv2.warpAffine(scene, matrix, (scene.shape[1], scene.shape[0]), borderValue=(60, 60, 60))
    corners = np.array([[box.x1 + x, box.y1 + y, 1], [box.x2 + x, box.y1 + y, 1], [box.x1 + x, box.y2 + y, 1],
                        [box.x2 + x, box.y2 + y, 1]]) @ matrix.T
    return scene, Box(corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max())


def _rendered(layout: str, seed: int) -> tuple[np.ndarray, Box, str]:
    from edge.training.render import render_plate  # noqa: PLC0415 - needs Pillow, a dev dependency

    plate = render_plate(np.random.default_rng(seed), layout, effects=False)
    quad = plate.plate_quad
    box = Box(float(quad[:, 0].min()), float(quad[:, 1].min()), float(quad[:, 0].max()), float(quad[:, 1].max()))
    return plate.image, box, plate.text


def _layouts() -> tuple[str, ...]:
    from edge.training.render import LAYOUTS  # noqa: PLC0415

    return LAYOUTS


@pytest.mark.parametrize("layout", _layouts())
def test_reads_rendered_plates_of_known_text_in_every_layout(recognizer: PlateRecognizer, layout: str) -> None:
    reads = []
    for seed in range(RENDERED_PER_LAYOUT):
        image, box, text = _rendered(layout, 1000 + seed)
        plate = recognizer.read_plate(image, Detection(box, 1.0, 0))
        reads.append((text, plate.raw_text))
    exact = sum(text == got for text, got in reads)
    assert exact >= MIN_RENDERED_EXACT[layout], reads


def test_slanted_plate_is_straightened_and_read(recognizer: PlateRecognizer) -> None:
    image, plate_box, text = _rendered(SLANT_LAYOUT, SLANT_SEED)
    scene, box = _on_background(image, plate_box, angle=SLANT_DEGREES)
    plate = recognizer.read_plate(scene, Detection(box, 1.0, 0))
    assert plate.raw_text == text
    xs = [c.box.x1 for c in plate.chars]
    assert xs == sorted(xs)


def test_reader_scores_every_class_of_each_character(recognizer: PlateRecognizer) -> None:
    image = read_image(IMAGES / "ro-B58DTK.jpg")
    plate = recognizer.read(image).plates[0]
    box = plate.box
    reading = recognizer.reader.read(image[int(box.y1):int(box.y2), int(box.x1):int(box.x2)])
    reader = recognizer.reader
    assert reading.characters
    for found in reading.characters:
        assert len(found.class_scores) == len(reader.names)
        assert reader.class_score(found, reader.names[found.class_id]) == pytest.approx(found.confidence)
        assert reader.class_score(found, None) == 0.0 and reader.class_score(found, "#") == 0.0


def _distant_camera_frame(photo: np.ndarray, shrink: int, at: tuple[int, int]) -> np.ndarray:
    """A 1920x1080 frame of blur with the photo shrunk into it: its plate becomes a distant one."""
    frame = cv2.GaussianBlur(cv2.resize(photo, (1920, 1080)), (0, 0), 25)
    small = cv2.resize(photo, None, fx=1 / shrink, fy=1 / shrink, interpolation=cv2.INTER_AREA)
    frame[at[1]:at[1] + small.shape[0], at[0]:at[0] + small.shape[1]] = small
    return frame


def test_tiles_find_and_read_a_distant_plate() -> None:
    # B58DTK is 182 px wide in the photo, 61 px in this 1920x1080 frame: 16 px in the 512 px input.
    frame = _distant_camera_frame(read_image(IMAGES / "ro-B58DTK.jpg"), 3, (700, 500))
    tiled = PlateRecognizer.from_config(VisionSettings(detector_tiles=2).recognizer_config())
    plates = tiled.read(frame).plates
    iou, found = _best_match(plates, [700 + 468.8 / 3, 500 + 390.2 / 3, 700 + 651.1 / 3, 500 + 440.4 / 3])
    assert found is not None and iou > 0.5, plates
    assert found.text == "B58DTK"


def test_a_plate_across_tile_edges_is_reported_once() -> None:
    photo = read_image(IMAGES / "ro-B58DTK.jpg")
    frame = cv2.resize(photo, (1920, 1080))  # the plate spans x 937-1302: across the left window's edge
    tiled = PlateRecognizer.from_config(VisionSettings(detector_tiles=2).recognizer_config())
    boxes = [[p.box.x1, p.box.y1, p.box.x2, p.box.y2] for p in tiled.read(frame).plates]
    overlapping = box_iou(np.array([937.6, 780.4, 1302.2, 880.8]), np.array(boxes)) > 0.1 if boxes else []
    assert sum(overlapping) == 1, boxes


def _mean_char_confidence(plate: PlateRead) -> float:
    return sum(c.confidence for c in plate.chars) / max(1, len(plate.chars))


@pytest.mark.parametrize("name", ["ro-TR95XMI.jpg", "us-BYE4NOW.jpg", "us-JKS3724.jpg"])
def test_an_unsure_plate_is_read_again_and_the_surest_reading_kept(name: str,
                                                                   labelled_images: list[dict[str, Any]]) -> None:
    (item,) = [i for i in labelled_images if i["image"] == name]
    image, box = read_image(IMAGES / name), Box(*item["plates"][0]["box"])
    once = PlateRecognizer.from_config(VisionSettings(reread_below=0.0).recognizer_config())
    always = PlateRecognizer.from_config(VisionSettings(reread_below=1.0).recognizer_config())
    calls: list[int] = []
    read = always.reader.read
    always.reader.read = lambda crop: calls.append(1) or read(crop)  # type: ignore[method-assign]
    first = once.read_plate(image, Detection(box, 1.0, 0))
    best = always.read_plate(image, Detection(box, 1.0, 0))
    assert len(calls) >= 3  # the first crop and one per other margin (a slanted crop is read twice)
    assert _mean_char_confidence(best) >= _mean_char_confidence(first) - 1e-6


def test_a_small_plate_is_confirmed_by_a_zoomed_look_with_a_tighter_box() -> None:
    # B58DTK 121 px wide in a 1920x1080 frame: 32 px in the 512 px input, so it is looked at again.
    frame = _distant_camera_frame(read_image(IMAGES / "ro-B58DTK.jpg"), 1.5, (700, 500))
    truth = [700 + 468.8 / 1.5, 500 + 390.2 / 1.5, 700 + 651.1 / 1.5, 500 + 440.4 / 1.5]
    one_look = PlateRecognizer.from_config(VisionSettings(detector_zoom=False).recognizer_config())
    zoomed = PlateRecognizer.from_config(VisionSettings(detector_zoom=True).recognizer_config())
    (first,) = one_look.detector.detect(frame)
    (second,) = zoomed.detector.detect(frame)
    assert first.first_look is None and second.first_look == first.box
    iou = box_iou(np.array(truth), np.array([[b.x1, b.y1, b.x2, b.y2] for b in (first.box, second.box)]))
    assert iou[1] > iou[0] > 0.5
    (plate,) = zoomed.read(frame).plates
    assert plate.text == "B58DTK" and plate.box == second.box


def test_a_small_candidate_the_zoomed_look_cannot_find_is_dropped() -> None:
    detector = PlateRecognizer.from_config(VisionSettings().recognizer_config()).detector
    frame = np.full((1080, 1920, 3), 90, np.uint8)
    candidate = Detection(Box(900, 500, 960, 520), 0.9, 0)  # nothing there but grey
    assert detector.second_look(frame, [candidate], scale=512 / 1920) == []
    big = Detection(Box(600, 500, 1000, 620), 0.9, 0)  # 107 px in the input: not looked at again
    assert detector.second_look(frame, [big], scale=512 / 1920) == [big]
    tiny = np.full((7, 5, 3), 90, np.uint8)  # a window clipped to a frame smaller than the stride
    assert detector.second_look(tiny, [Detection(Box(0, 0, 5, 2), 0.9, 0)], scale=1.0) == []
