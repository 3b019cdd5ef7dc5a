import numpy as np

from edge.vision.postprocess import box_iou, decode, nms
from edge.vision.preprocess import Letterbox


def _output(rows: list[list[float]]) -> np.ndarray:
    """YOLOv8 layout: (1, 4 + classes, N) from N rows of cx, cy, w, h, class scores."""
    return np.array(rows, np.float32).T[None]


def test_iou_of_identical_and_disjoint_boxes() -> None:
    box = np.array([0, 0, 10, 10.0])
    others = np.array([[0, 0, 10, 10.0], [20, 20, 30, 30], [5, 0, 15, 10]])
    assert np.allclose(box_iou(box, others), [1.0, 0.0, 50 / 150])


def test_nms_keeps_best_of_overlapping_and_separate_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10.0], [1, 1, 11, 11], [50, 50, 60, 60]])
    scores = np.array([0.6, 0.9, 0.5])
    assert nms(boxes, scores, 0.5) == [1, 2]


def test_decode_maps_boxes_back_through_the_letterbox() -> None:
    fit = Letterbox(scale=0.5, pad_x=0, pad_y=20)
    out = _output([[50, 70, 20, 10, 0.9, 0.1], [10, 10, 4, 4, 0.1, 0.05]])
    found = decode(out, fit, image_width=400, image_height=300, conf_threshold=0.25, iou_threshold=0.5)
    assert len(found) == 1
    d = found[0]
    assert d.class_id == 0 and np.isclose(d.confidence, 0.9)
    assert np.allclose([d.box.x1, d.box.y1, d.box.x2, d.box.y2], [80, 90, 120, 110])


def test_decode_picks_the_best_class_and_clips_to_the_image() -> None:
    fit = Letterbox(scale=1.0, pad_x=0, pad_y=0)
    out = _output([[5, 5, 20, 20, 0.2, 0.8]])
    (d,) = decode(out, fit, 100, 100, conf_threshold=0.25, iou_threshold=0.5)
    assert d.class_id == 1
    assert d.box.x1 == 0 and d.box.y1 == 0 and d.box.x2 == 15


def test_decode_of_nothing_is_empty() -> None:
    out = _output([[5, 5, 20, 20, 0.01]])
    assert decode(out, Letterbox(1, 0, 0), 100, 100, conf_threshold=0.25, iou_threshold=0.5) == []


def test_decode_keeps_every_class_score_only_when_asked() -> None:
    fit = Letterbox(scale=1.0, pad_x=0, pad_y=0)
    out = _output([[50, 50, 20, 20, 0.3, 0.6, 0.1]])
    (plain,) = decode(out, fit, 100, 100, conf_threshold=0.25, iou_threshold=0.5)
    (kept,) = decode(out, fit, 100, 100, conf_threshold=0.25, iou_threshold=0.5, keep_class_scores=True)
    assert plain.class_scores == ()
    assert np.allclose(kept.class_scores, [0.3, 0.6, 0.1]) and kept.class_id == 1
