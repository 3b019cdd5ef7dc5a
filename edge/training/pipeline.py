"""``make models``: build both training sets, train both models, export them into ``models/``.

Steps (each can be run alone):
  data   -- detector set (real photos + rendered plates pasted into real scenes) and reader set
            (rendered plates + real crops with character boxes from label-guided segmentation)
  train  -- train the detector and the reader (fine-tuning ``models/checkpoints/*.pt`` when they
            exist, else from ``yolov8n.yaml``), then export both to ONNX with metadata
  export -- only the export, of the checkpoints in ``models/checkpoints`` (trained on another machine)
  quantize -- replace the exports shipped as INT8 (both; ``ModelRecipe.int8``) with INT8 copies
            (``edge.training.quantize``), calibrated on real training photos and real plate crops
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from edge.training.detector_data import LeaveOutError, leave_source_out, write_detector_dataset
from edge.training.sources import SETS, detector_dev_photo, load_real_images, reader_val_text
from edge.vision.charset import CHARSET
from edge.vision.errors import ModelError

log = logging.getLogger(__name__)

MODELS = Path(__file__).resolve().parents[2] / "models"
CHECKPOINTS = MODELS / "checkpoints"
DETECTOR_TRAIN_IMGSZ = 640  # small plates in wide frames need the pixels while learning
DETECTOR_IMGSZ = 512  # exported input: recall 0.71 against 0.74 at 640, in about 60 % of the time
READER_IMGSZ = 256
# Real crops are few and matter most: each plate is already listed 1 + reframe.REFRAMES times (cut from its
# label and from moved boxes), so each image is listed once.
REAL_REPEAT = 1
SWAPPED = 0  # glyph-swapped real crops for the reader (--swapped)
# A degraded copy of each real training crop for the reader (--degraded): more reads under simulated
# conditions than a control, as many clear ones; off until the GPU bundle has room ("Eleventh session").
DEGRADED = False
MIN_REAL_VAL = 50  # real validation crops needed to pick the reader's best epoch on real crops alone


def build_reader_dataset(shared: Path, build: Path, rendered: int, seed: int = 1, *, swapped: int = 0,
                         degraded: bool = False) -> Path:
    """Rendered plates plus real crops; a tenth of the real plates (by text) validate.

    With ``swapped``, also that many training crops with some characters swapped for real glyphs of
    other training crops (``edge.training.glyph_swap``): real-looking plates with texts never seen.
    With ``degraded``, also one copy of each real training crop through the camera effects, blurred,
    darkened or made small (``edge.training.degraded_crops``).
    """
    from edge.training.degraded_crops import write_degraded  # noqa: PLC0415
    from edge.training.glyph_swap import write_swapped_set  # noqa: PLC0415
    from edge.training.real_chars import write_real_reader_set  # noqa: PLC0415
    from edge.training.render import write_reader_set  # noqa: PLC0415

    out = build / "reader"
    backgrounds = [i.image for i in load_real_images(shared) if i.split == "train"]
    write_reader_set(out / "rendered-train", rendered, seed, backgrounds)
    write_reader_set(out / "rendered-val", max(100, rendered // 20), seed + 1, backgrounds)
    stats = write_real_reader_set(shared, out / "real")
    log.info("real character boxes: %s", stats)
    train = sorted((out / "rendered-train" / "images").glob("*.jpg"))
    val = sorted((out / "rendered-val" / "images").glob("*.jpg"))
    real_train, real_val = split_real_crops(out / "real")
    reader_model = MODELS / "plate-reader.onnx"
    if reader_model.exists():  # add crops the current reader reads exactly as labelled
        from edge.training.self_labels import write_self_labelled_set  # noqa: PLC0415

        log.info("self-labelled crops: %s", write_self_labelled_set(shared, reader_model, out / "self", out / "real"))
        self_train, self_val = split_real_crops(out / "self")
        real_train += self_train
        real_val += self_val
    log.info("glyph-swapped crops: %s", write_swapped_set(real_train, out / "swapped", swapped, seed + 2))
    train, val = reader_lists(train, val, real_train, real_val)
    train += sorted((out / "swapped" / "images").glob("*.jpg"))
    shutil.rmtree(out / "degraded", ignore_errors=True)
    if degraded:
        train += write_degraded(real_train, out / "degraded")
    return _write_yaml(out, train, val, dict(enumerate(CHARSET)))


def reader_lists(rendered_train: list[Path], rendered_val: list[Path], real_train: list[Path],
                 real_val: list[Path]) -> tuple[list[Path], list[Path]]:
    """Training and validation images of the reader.

    Training: the rendered plates and the real crops (with their moved cuts), each listed ``REAL_REPEAT`` times.
    Validation picks the best epoch, so it is the real crops alone when there are enough of them: in the
    fifth session a reader chosen on a mostly rendered set fitted it better (mAP50-95 0.851) and read
    held-out real plates worse (102 of 154 against 108).
    """
    train = rendered_train + real_train * REAL_REPEAT
    val = list(real_val) if len(real_val) >= MIN_REAL_VAL else rendered_val + real_val
    return train, val


def split_real_crops(real: Path) -> tuple[list[Path], list[Path]]:
    """Real crops by plate text: a tenth of the texts validate, so one car never straddles both sides."""
    train: list[Path] = []
    val: list[Path] = []
    for image in sorted((real / "images").glob("*.jpg")):
        label = real / "labels" / f"{image.stem}.txt"
        text = "".join(CHARSET[int(line.split()[0])] for line in label.read_text().splitlines() if line.strip())
        (val if reader_val_text(text) else train).append(image)
    return train, val


def _write_yaml(out: Path, train: list[Path], val: list[Path], names: dict[int, str]) -> Path:
    (out / "train.txt").write_text("".join(f"{p.absolute()}\n" for p in train))
    (out / "val.txt").write_text("".join(f"{p.absolute()}\n" for p in val))
    lines = [f"path: {out.resolve()}", f"train: {(out / 'train.txt').resolve()}",
             f"val: {(out / 'val.txt').resolve()}", "names:"]
    lines += [f"  {k}: '{v}'" for k, v in names.items()]
    (out / "data.yaml").write_text("\n".join(lines) + "\n")
    log.info("reader set: %d train, %d val", len(train), len(val))
    return out / "data.yaml"


def build_detector_dataset(shared: Path, build: Path, scenes: int, seed: int = 2) -> Path:
    from edge.training.render import write_scene_set  # noqa: PLC0415

    backgrounds = [i for i in load_real_images(shared) if i.split == "train" and not detector_dev_photo(i)]
    write_scene_set(build / "scenes", scenes, seed, backgrounds)
    return write_detector_dataset(shared, build / "detector", extra_train=build / "scenes")


def _start_point(name: str) -> str:
    checkpoint = CHECKPOINTS / f"{name}.pt"
    return str(checkpoint) if checkpoint.exists() else "yolov8n.yaml"


@dataclass(frozen=True)
class ModelRecipe:
    name: str
    onnx_name: str
    train_imgsz: int
    export_imgsz: int
    lr0: float  # AdamW; fine-tuning a checkpoint wants it low, with a short warm-up
    gpu_batch: int
    # A dynamic input lets the run time letterbox a wide frame into a rectangle instead of the square
    # (about 40 % less detector time on a 16:9 frame, same recall). The reader keeps its square: it
    # was trained on square letterboxes, and on rectangles it read 8 fewer of 154 held-out plates
    # end to end (models/README.md, "Fourth session").
    dynamic_input: bool
    # Shipped as an INT8 copy with 7-bit weights (``quantize`` step): the detector reads the same in 70 to 80 %
    # of the time, the reader in about 85 % (10 ms a frame on a CPU without VNNI); models/README.md, "Seventh
    # session" and "Tenth session".
    int8: bool
    # How much of the YOLO head the INT8 copy quantizes (``edge.training.quantize.HEAD_CHOICES``). Since the
    # thirteenth session both quantize its 3x3 Conv blocks too ("blocks"): a frame a quarter faster, the
    # same plates read per vehicle, the last 1x1 convolutions and the box decoding still in float.
    int8_head: str
    # Trained on rectangles in shuffled rectangular batches (``edge.training.rect_batches``), for a model fed
    # rectangles. Tried for the reader in the eighth session and not kept: after 99 epochs on an H200 it read
    # 103 of 154 held-out crops fed rectangles (the square reader 113), for 6 ms a frame (models/README.md).
    rect: bool


RECIPES = (
    ModelRecipe("detector", "plate-detector.onnx", DETECTOR_TRAIN_IMGSZ, DETECTOR_IMGSZ, 0.002, 64, True, True,
                "blocks", False),
    ModelRecipe("reader", "plate-reader.onnx", READER_IMGSZ, READER_IMGSZ, 0.0005, 128, False, True, "blocks", False),
)


MODEL_NAMES = tuple(recipe.name for recipe in RECIPES)


def train_and_export(build: Path, device: str, hours: float, workers: int,
                     names: tuple[str, ...] = MODEL_NAMES, *, export: bool = True, patience: int = 30,
                     imgsz: int | None = None, without: str | None = None) -> None:
    """Train each named model (fine-tuning its checkpoint), keep the best in ``models/checkpoints``, and
    export it unless ``export`` is false (on a GPU machine that lacks onnx and a network).

    ``imgsz`` trains at another size than the recipe's, as a trial: the run and its checkpoint are named
    ``<name>-<imgsz>`` (``models/checkpoints/reader-320.pt``), beside the recipe's, and nothing is exported;
    to ship it, measure it, then make it the recipe's size and checkpoint.

    ``without`` trains a detector from nothing (``yolov8n.yaml``: every checkpoint has seen every source)
    on the set without that source (``detector_data.leave_source_out``), named ``detector-without-<source>``
    and not exported: it measures recall on a whole source left out of training.

    ``patience`` 0 trains until ``hours`` run out: for a start checkpoint that was trained on the validation
    images (the shipped detector saw the dev photos, which were set aside only in the sixth session), a
    score that only falls from the first epoch would stop the run early and pick the start again."""
    from edge.training.train import TrainJob, train  # noqa: PLC0415

    on_gpu = device != "cpu"
    for recipe in (r for r in RECIPES if r.name in names):
        run = recipe.name if imgsz is None else f"{recipe.name}-{imgsz}"
        job = TrainJob(recipe.name, build / recipe.name / "data.yaml", imgsz or recipe.train_imgsz, epochs=150,
                       hours=hours, start=_start_point(recipe.name), runs=build / "runs", device=device,
                       batch=recipe.gpu_batch if on_gpu else 32, lr0=recipe.lr0, workers=workers,
                       warmup_epochs=2, optimizer="AdamW", patience=patience, rect=recipe.rect, run=run)
        if without is not None:
            if recipe.name != "detector":
                raise ValueError("only the detector is trained without a source")
            run = f"{run}-without-{without}"
            job = replace(job, data=leave_source_out(job.data, without), start="yolov8n.yaml", epochs=300,
                          lr0=0.01, optimizer="SGD", warmup_epochs=3, run=run)
        best = train(job)
        CHECKPOINTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(best, CHECKPOINTS / f"{run}.pt")
        if export and imgsz is None and without is None:
            export_checkpoints((recipe.name,), f"trained by make models on {device}")


def export_checkpoints(names: tuple[str, ...] = MODEL_NAMES, note: str = "trained on a GPU machine") -> None:
    """Export ``models/checkpoints/<name>.pt`` to ``models/`` (after training here, or on another machine)."""
    from edge.training.train import export  # noqa: PLC0415

    version = dt.date.today().isoformat()
    for recipe in (r for r in RECIPES if r.name in names):
        checkpoint = CHECKPOINTS / f"{recipe.name}.pt"
        if not checkpoint.exists():
            raise FileNotFoundError(f"{checkpoint} is missing")
        export(checkpoint, MODELS / recipe.onnx_name, recipe.export_imgsz, f"{recipe.name}-{version}", note,
               dynamic=recipe.dynamic_input)


def export_trial(name: str, checkpoint: Path, to: Path) -> Path:
    """Export a trial checkpoint (``reader-320.pt``, ``detector-without-ro-dashcam.pt``) as the ``name`` model,
    with its recipe's export size and input, into the folder ``to``, beside a link to the other shipped model:
    ``CARWATCH_VISION__MODELS_DIR=<to> carwatch-edge eval ...`` then measures it with nothing else changed."""
    from edge.training.train import export  # noqa: PLC0415

    if not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint} is missing")
    recipe = next(r for r in RECIPES if r.name == name)
    to.mkdir(parents=True, exist_ok=True)
    for other in (r for r in RECIPES if r.name != name):
        link = to / other.onnx_name
        if not link.exists():
            link.symlink_to((MODELS / other.onnx_name).resolve())
    version = f"{checkpoint.stem}-{dt.date.today().isoformat()}"
    return export(checkpoint, to / recipe.onnx_name, recipe.export_imgsz, version, f"trial from {checkpoint.name}",
                  dynamic=recipe.dynamic_input)


def quantize_models(shared: Path, build: Path, names: tuple[str, ...] = MODEL_NAMES, count: int = 100) -> None:
    """Replace each float ``models/<onnx>`` shipped as INT8 (``ModelRecipe.int8``) with its INT8 copy; the
    float one can be exported again from the checkpoint. A model that is INT8 already is left as it is. The
    detector is calibrated on ``count`` real training photos, the reader on twice as many real training
    crops (``build/reader/real/images``, written by the data step)."""
    import tempfile  # noqa: PLC0415

    from edge.training.quantize import calibration_photos, folder_images, quantize  # noqa: PLC0415

    for recipe in (r for r in RECIPES if r.name in names):
        if not recipe.int8:
            log.info("%s ships in float: not quantized", recipe.name)
            continue
        model = MODELS / recipe.onnx_name
        images = (calibration_photos(shared, count) if recipe.name == "detector"
                  else folder_images(build / "reader" / "real" / "images", 2 * count))
        with tempfile.TemporaryDirectory() as tmp:
            try:
                out = quantize(model, Path(tmp) / recipe.onnx_name, images, head=recipe.int8_head)
            except ValueError as exc:
                log.warning("%s left as it is: %s", model, exc)
                continue
            shutil.move(out, model)
        log.info("%s is now INT8 (calibrated on %d images)", model, len(images))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build data for, train and export the CarWatch models.")
    parser.add_argument("step", choices=["data", "train", "export", "quantize"],
                        help="export: models/checkpoints/*.pt to models/*.onnx, e.g. after a GPU run; "
                             "quantize: the detector's export to INT8 in place")
    parser.add_argument("--shared", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--build", type=Path, default=Path("build"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rendered", type=int, default=3000, help="rendered plates for the reader")
    parser.add_argument("--swapped", type=int, default=SWAPPED,
                        help="real reader crops with characters swapped for glyphs of other crops")
    parser.add_argument("--degraded", action="store_true", default=DEGRADED,
                        help="also a copy of each real reader crop blurred, darkened or made small")
    parser.add_argument("--scenes", type=int, default=600, help="rendered scenes for the detector")
    parser.add_argument("--hours", type=float, default=2.0, help="wall-clock bound per model")
    parser.add_argument("--workers", type=int, default=2, help="data-loading processes")
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES),
                        help="which models to train (default both)")
    parser.add_argument("--no-export", action="store_true", help="train: keep the checkpoints, do not export")
    parser.add_argument("--patience", type=int, default=30,
                        help="train: epochs without a better validation score before stopping (0: never)")
    parser.add_argument("--imgsz", type=int,
                        help="train: a trial at this input size instead of the recipe's, kept as <model>-<imgsz>.pt, "
                             "not exported")
    parser.add_argument("--checkpoint", type=Path,
                        help="export: this checkpoint instead of models/checkpoints/<model>.pt, into --to (one model)")
    parser.add_argument("--to", type=Path, help="export --checkpoint: the folder to write it in, beside the other")
    parser.add_argument("--without", choices=SETS,
                        help="train: a detector from nothing without this source, kept as "
                             "detector-without-<source>.pt, not exported (recall on a source never seen)")
    args = parser.parse_args(argv)
    if args.without is not None and (args.imgsz is not None or args.models != ["detector"]):
        parser.error("--without trains the detector alone (--models detector), at its recipe's size")
    if (args.checkpoint is None) != (args.to is None) or (args.checkpoint is not None and len(args.models) != 1):
        parser.error("--checkpoint and --to go together, with one model (--models detector or reader)")
    if args.patience < 0:
        parser.error("--patience must be 0 (never stop early) or more")
    if args.swapped < 0:
        parser.error("--swapped must be 0 (none) or more")
    if args.imgsz is not None and (args.imgsz % 32 or not 32 <= args.imgsz <= 2048):
        parser.error("--imgsz must be a multiple of 32 from 32 to 2048")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        if args.step == "data":
            build_detector_dataset(args.shared, args.build, args.scenes)
            build_reader_dataset(args.shared, args.build, args.rendered, swapped=args.swapped,
                                 degraded=args.degraded)
        elif args.step == "export" and args.checkpoint is not None:
            export_trial(args.models[0], args.checkpoint, args.to)
        elif args.step == "export":
            export_checkpoints(tuple(args.models))
        elif args.step == "quantize":
            quantize_models(args.shared, args.build, tuple(args.models))
        else:
            train_and_export(args.build, args.device, args.hours, args.workers, tuple(args.models),
                             export=not args.no_export, patience=args.patience, imgsz=args.imgsz,
                             without=args.without)
    except (FileNotFoundError, ModelError, LeaveOutError) as exc:  # a missing set, checkpoint, model or source
        log.error("%s failed: %s", args.step, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
