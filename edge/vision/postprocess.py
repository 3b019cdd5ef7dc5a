"""Pure decoding of YOLO detection output: confidence filter, NMS, mapping back to the image."""

from __future__ import annotations

import numpy as np

from edge.domain import Box, Detection
from edge.vision.preprocess import Letterbox


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1y1x2y2 box with each of N boxes."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression; returns kept indices, best first."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[box_iou(boxes[best], boxes[rest]) <= iou_threshold]
    return keep


def decode(output: np.ndarray, fit: Letterbox, image_width: int, image_height: int, *,
           conf_threshold: float, iou_threshold: float, max_detections: int = 100,
           keep_class_scores: bool = False) -> list[Detection]:
    """Turn a (1, 4+C, N) YOLOv8 output into detections in original-image pixels.

    Boxes come as centre x, centre y, width, height in model-input pixels. NMS is class-agnostic:
    plates do not overlap plates, and characters do not overlap characters. With
    ``keep_class_scores`` each detection carries the score of every class, not only the best.
    """
    preds = output[0].T  # N x (4+C)
    scores_all = preds[:, 4:]
    class_ids = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(preds)), class_ids]
    mask = scores >= conf_threshold
    if not mask.any():
        return []
    xywh, scores, class_ids, all_scores = preds[mask, :4], scores[mask], class_ids[mask], scores_all[mask]
    boxes = np.empty_like(xywh)
    boxes[:, 0] = (xywh[:, 0] - xywh[:, 2] / 2 - fit.pad_x) / fit.scale
    boxes[:, 1] = (xywh[:, 1] - xywh[:, 3] / 2 - fit.pad_y) / fit.scale
    boxes[:, 2] = (xywh[:, 0] + xywh[:, 2] / 2 - fit.pad_x) / fit.scale
    boxes[:, 3] = (xywh[:, 1] + xywh[:, 3] / 2 - fit.pad_y) / fit.scale
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, image_width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, image_height)
    keep = nms(boxes, scores, iou_threshold)[:max_detections]
    return [
        Detection(Box(*(float(v) for v in boxes[i])), float(scores[i]), int(class_ids[i]),
                  tuple(float(v) for v in all_scores[i]) if keep_class_scores else ())
        for i in keep
        if boxes[i, 2] > boxes[i, 0] and boxes[i, 3] > boxes[i, 1]
    ]
