"""Measuring the recognizer against a manifest of labelled images.

A manifest is JSON lines: ``{"image": PATH, "plates": [{"text": "B123ABC", "box": [x1, y1, x2, y2],
"country": "RO"}]}``. A relative image path is taken from the manifest's folder. A plate whose text
is empty or ``?`` counts for detection only. A plate with ``"ignore": true`` (a real plate the
original labels missed) is neither counted as a plate to find nor, when found, as a false detection.
With ``given_boxes`` the detector is skipped and the reader reads each labelled box: that measures
the reader alone. With ``condition`` each image is first degraded as night, rain, fog and so on would
(``edge.simulated_conditions``), the same way on every run.

The daemon reports one event per vehicle: the reads of a vehicle's frames vote (``edge.tracking.vote``,
with the tracker's settings). ``vote`` in the report measures that as an ideal tracker would: all reads of
one labelled text in the manifest (the frames of one car in a dashcam video; a single photo is a vote of
one) vote, and the plate counts as read when the vote's text is the label.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.domain import Box, Detection, PlateRead
from edge.simulated_conditions import Condition, seed_for, simulate
from edge.tracking.config import TrackerConfig
from edge.tracking.vote import VoteTally
from edge.vision.image import read_image
from edge.vision.postprocess import box_iou
from edge.vision.recognizer import PlateRecognizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledPlate:
    text: str
    box: Box
    region: str
    ignore: bool = False


@dataclass(frozen=True)
class LabelledImage:
    image: Path
    plates: tuple[LabelledPlate, ...]


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"ignore must be true or false, not {value!r}")
    return value


def load_manifest(path: Path) -> list[LabelledImage]:
    """Parse a manifest; a bad line raises ``ValueError`` naming the line."""
    items = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            plates = tuple(
                LabelledPlate(str(p.get("text") or "").upper().replace("?", ""), Box(*map(float, p["box"])),
                              str(p.get("region") or p.get("country") or "other"), _flag(p.get("ignore", False)))
                for p in entry.get("plates", [])
            )
            image = Path(entry["image"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a manifest line ({exc})") from exc
        items.append(LabelledImage(image if image.is_absolute() else path.parent / image, plates))
    return items


def _match(truth: tuple[LabelledPlate, ...], found: tuple[PlateRead, ...], iou: float) -> dict[int, int]:
    """Greedy one-to-one matching of labelled to found plates by IoU; truth index -> found index."""
    pairs = []
    for t, plate in enumerate(truth):
        if not found:
            break
        tb = np.array([plate.box.x1, plate.box.y1, plate.box.x2, plate.box.y2])
        fb = np.array([[p.box.x1, p.box.y1, p.box.x2, p.box.y2] for p in found])
        for f, value in enumerate(box_iou(tb, fb)):
            if value >= iou:
                pairs.append((float(value), t, f))
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, t, f in sorted(pairs, reverse=True):
        if t not in matched and f not in used:
            matched[t] = f
            used.add(f)
    return matched


class _Tally:
    def __init__(self) -> None:
        self.count: dict[str, int] = defaultdict(int)
        self.reads: dict[str, list[bool]] = defaultdict(list)  # per region
        self.by_text: dict[str, list[bool]] = defaultdict(list)
        self.misreads: list[dict[str, str]] = []
        self.found: dict[str, list[bool]] = defaultdict(list)  # detection per region and per plate size
        config = TrackerConfig()
        self.votes: dict[str, VoteTally] = defaultdict(lambda: VoteTally(config.region_weight,
                                                                         config.min_text_length))

    def add_detection(self, plate: LabelledPlate, ok: bool) -> None:
        self.found[f"region {plate.region}"].append(ok)
        self.found["plates under 40 px wide" if plate.box.width < 40 else "plates 40 px wide or more"].append(ok)

    def add_read(self, image: Path, plate: LabelledPlate, got: PlateRead | None) -> None:
        ok = got is not None and got.text == plate.text
        self.reads[plate.region].append(ok)
        self.by_text[plate.text].append(ok)
        tally = self.votes[plate.text]  # created for a plate never found too: it counts as not read
        if got is not None:
            tally.add(got)
        if not ok:
            self.misreads.append({"image": str(image), "region": plate.region, "expected": plate.text,
                                  "read": "(not found)" if got is None else got.text})


def _ratio(a: int | float, b: int | float) -> float | None:
    return round(a / b, 4) if b else None


def _vote_report(votes: dict[str, VoteTally], by_text: dict[str, list[bool]]) -> dict[str, Any]:
    """Per labelled text: the vote of its reads; ``several_frames`` counts the plates seen in more than one."""
    results = {text: tally.result() for text, tally in votes.items()}
    wrong = {text: "(no read)" if result is None else result.text
             for text, result in sorted(results.items()) if result is None or result.text != text}
    exact = len(votes) - len(wrong)
    return {"plates": len(votes), "exact": exact, "accuracy": _ratio(exact, len(votes)),
            "several_frames": sum(len(by_text[text]) > 1 for text in votes), "misreads": wrong}


def _report(tally: _Tally) -> dict[str, Any]:
    all_reads = [ok for oks in tally.reads.values() for ok in oks]
    return {
        "images": tally.count["images"],
        "errors": tally.count["errors"],
        "detection": {
            "labelled": tally.count["labelled"],
            "found": tally.count["matched"],
            "predicted": tally.count["predicted"],
            "ignored": tally.count["ignored"],  # detections of plates marked "ignore", not counted
            "recall": _ratio(tally.count["matched"], tally.count["labelled"]),
            "precision": _ratio(tally.count["matched"], tally.count["predicted"]),
            "recall_by": {key: {"labelled": len(oks), "found": sum(oks), "recall": _ratio(sum(oks), len(oks))}
                          for key, oks in sorted(tally.found.items())},
        },
        "reads": {
            "plates": len(all_reads),
            "exact": sum(all_reads),
            "accuracy": _ratio(sum(all_reads), len(all_reads)),
            "distinct_plates": len(tally.by_text),
            "accuracy_per_distinct_plate": _ratio(sum(sum(v) / len(v) for v in tally.by_text.values()),
                                                  len(tally.by_text)),
            "vote": _vote_report(tally.votes, tally.by_text),
            "per_region": {
                region: {"plates": len(oks), "exact": sum(oks), "accuracy": _ratio(sum(oks), len(oks))}
                for region, oks in sorted(tally.reads.items())
            },
        },
        "misreads": tally.misreads,
    }


def evaluate_manifest(recognizer: PlateRecognizer, manifest: Path, iou: float = 0.5,
                      given_boxes: bool = False, condition: Condition | None = None) -> dict[str, Any]:
    """Detection recall and precision, and exact-read accuracy per region, with every misread; under a
    simulated ``condition`` when one is given."""
    tally = _Tally()
    for item in load_manifest(manifest):
        tally.count["images"] += 1
        try:
            image = read_image(item.image)
        except (OSError, ValueError) as exc:
            log.warning("skipping %s: %s", item.image, exc)
            tally.count["errors"] += 1
            continue
        if condition is not None:
            image = simulate(image, condition, seed_for(str(item.image)))
        plates = tuple(p for p in item.plates if not p.ignore)
        ignored = 0
        if given_boxes:
            found = tuple(recognizer.read_plate(image, Detection(p.box, 1.0, 0)) for p in plates)
            matched = {i: i for i in range(len(found))}
        else:
            found = recognizer.read(image).plates
            matched = _match(plates, found, iou)
            hits = set(matched.values())
            others = tuple(p for i, p in enumerate(found) if i not in hits)
            ignored = len(_match(tuple(p for p in item.plates if p.ignore), others, iou))
        tally.count["labelled"] += len(plates)
        tally.count["predicted"] += len(found) - ignored
        tally.count["ignored"] += ignored
        tally.count["matched"] += len(matched)
        for t, plate in enumerate(plates):
            tally.add_detection(plate, t in matched)
            if plate.text:
                tally.add_read(item.image, plate, found[matched[t]] if t in matched else None)
    return {"condition": condition.value if condition is not None else None, **_report(tally)}


def format_report(report: dict[str, Any], misreads: int = 30) -> str:
    """A short human-readable summary of a report."""
    det, reads = report["detection"], report["reads"]
    lines = [
        f"images {report['images']} (unreadable {report['errors']})"
        + (f", simulated condition: {report['condition']}" if report.get("condition") else ""),
        f"detection: recall {det['recall']} ({det['found']}/{det['labelled']}), precision {det['precision']}"
        + (f" ({det['ignored']} detections of plates marked ignore not counted)" if det.get("ignored") else ""),
        *(f"  {key}: {row['recall']} ({row['found']}/{row['labelled']})" for key, row in det["recall_by"].items()),
        f"exact reads: {reads['accuracy']} ({reads['exact']}/{reads['plates']}), "
        f"per distinct plate {reads['accuracy_per_distinct_plate']} ({reads['distinct_plates']} plates)",
        f"voted over each plate's frames: {reads['vote']['accuracy']} ({reads['vote']['exact']}/"
        f"{reads['vote']['plates']} plates, {reads['vote']['several_frames']} seen in several frames)",
    ]
    for region, row in reads["per_region"].items():
        lines.append(f"  {region:6} {row['accuracy']} ({row['exact']}/{row['plates']})")
    if report["misreads"]:
        lines.append(f"misreads (first {misreads} of {len(report['misreads'])}):")
        lines += [f"  {m['expected']:>12} -> {m['read']:<12} {m['image']}" for m in report["misreads"][:misreads]]
    return "\n".join(lines)
