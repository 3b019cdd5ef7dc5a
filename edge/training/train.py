"""Train and export the two YOLO models with ultralytics (only with the ``[train]`` extra).

Nothing here is imported at run time. Weights cannot be downloaded where this project is
built, so models start from the YAML (``yolov8n.yaml``) or fine-tune a checkpoint kept in
``models/checkpoints/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from edge.cpu_info import cpu_flags, read_cpuinfo
from edge.training.cpu_precision import Precision, allow_cpu_bfloat16, amp_setting

log = logging.getLogger(__name__)

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)


@dataclass(frozen=True)
class TrainJob:
    """One training run: what to train, on what, for how long."""

    name: str  # "detector" or "reader"
    data: Path  # data.yaml
    imgsz: int
    epochs: int
    hours: float  # wall-clock bound; 0 = epochs only
    start: str  # "yolov8n.yaml" or a checkpoint path
    runs: Path
    batch: int = 32
    resume: bool = False
    device: str = "cpu"
    lr0: float = 0.01  # lower (0.002) to continue training a checkpoint on similar data
    workers: int = 2  # data-loading processes
    warmup_epochs: float = -1  # -1: 3 when lr0 >= 0.01, else none
    optimizer: str = "auto"  # ultralytics' choice, or SGD / AdamW to make lr0 count
    patience: int = 30  # epochs without a better validation score before stopping; 0: never stop early
    rect: bool = False  # train on rectangles (edge.training.rect_batches), for a model fed rectangles
    run: str = ""  # the run's folder under ``runs`` (default: ``name``)
    precision: Precision = "auto"  # "auto": AMP on a GPU, bfloat16 on a CPU with AMX/AVX-512 BF16 (cpu_precision)

    @property
    def run_name(self) -> str:
        return self.run or self.name


def prepare_offline_ultralytics(config_dir: Path) -> None:
    """Make ultralytics work with no network: config dir, font, offline flag."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir))
    font_dir = Path(os.environ["YOLO_CONFIG_DIR"]) / "Ultralytics"
    font_dir.mkdir(parents=True, exist_ok=True)
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = font_dir / name
        if not target.exists():
            source = next((f for f in FONT_CANDIDATES if f.exists()), None)
            if source is not None:
                shutil.copy(source, target)


def _augmentation(name: str) -> dict[str, float]:
    if name == "reader":
        # Characters must not be mirrored or mixed across plates.
        return {"fliplr": 0.0, "mosaic": 0.0, "mixup": 0.0, "degrees": 3.0, "scale": 0.3, "translate": 0.05,
                "hsv_h": 0.02, "hsv_s": 0.5, "hsv_v": 0.5, "erasing": 0.0}
    return {"fliplr": 0.5, "mosaic": 1.0, "degrees": 2.0, "scale": 0.6, "translate": 0.1}


def _warmup(job: TrainJob) -> float:
    if job.warmup_epochs >= 0:
        return job.warmup_epochs
    return 0.0 if job.lr0 < 0.01 else 3.0


def train(job: TrainJob) -> Path:
    """Run one job; returns the best checkpoint."""
    prepare_offline_ultralytics(job.runs.parent / "ultralytics-config")
    from ultralytics import YOLO  # noqa: PLC0415 - training extra only
    from ultralytics.engine import trainer  # noqa: PLC0415

    # check_amp downloads a model to test mixed precision: no network here, and AMP works on CUDA.
    trainer.check_amp = lambda model: True
    amp = amp_setting(job.device, job.precision, cpu_flags(read_cpuinfo()))
    if amp == "bf16" and job.device == "cpu":
        import torch  # noqa: PLC0415

        allow_cpu_bfloat16(trainer, torch)

    if job.resume:
        model = YOLO(str(job.start))
        model.train(resume=True)
    else:
        model = YOLO(job.start)
        extra: dict[str, object] = {"time": job.hours} if job.hours > 0 else {}
        if job.rect:
            from edge.training.rect_batches import rect_trainer  # noqa: PLC0415

            extra |= {"trainer": rect_trainer(), "rect": True}
        model.train(
            data=str(job.data), imgsz=job.imgsz, epochs=job.epochs, batch=job.batch, device=job.device,
            workers=job.workers,
            pretrained=job.start.endswith(".pt"), plots=False, amp=amp, project=str(job.runs.resolve()),
            name=job.run_name, exist_ok=True, patience=job.patience, lr0=job.lr0, warmup_epochs=_warmup(job),
            optimizer=job.optimizer, cache="ram", seed=0, deterministic=False,
            close_mosaic=max(1, job.epochs // 10), **_augmentation(job.name), **extra,
        )
    return job.runs / job.run_name / "weights" / "best.pt"


def export(checkpoint: Path, out: Path, imgsz: int, version: str, names_note: str, *, dynamic: bool = False) -> Path:
    """Export to ONNX (opset 17) with the metadata the run-time reads.

    With ``dynamic`` the input's height and width are free: the run time letterboxes a wide frame into
    a rectangle padded only to the stride (``edge.vision.preprocess.fit_shape``) instead of the whole
    ``imgsz`` square, which stays in the metadata as the scale to fit to.
    """
    import onnx  # noqa: PLC0415
    from ultralytics import YOLO  # noqa: PLC0415

    model = YOLO(str(checkpoint))
    onnx_path = Path(model.export(format="onnx", imgsz=imgsz, opset=17, simplify=True, dynamic=dynamic))
    proto = onnx.load(str(onnx_path))
    meta = {p.key: p.value for p in proto.metadata_props}
    meta["carwatch_version"] = version
    meta["carwatch_note"] = names_note
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    if onnx_path.resolve() != out.resolve():
        onnx_path.unlink(missing_ok=True)  # ultralytics writes it beside the checkpoint
    log.info("exported %s (%d bytes)", out, out.stat().st_size)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train one CarWatch model with ultralytics.")
    parser.add_argument("name", choices=["detector", "reader"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--imgsz", type=int, default=320)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--hours", type=float, default=0.0)
    parser.add_argument("--start", default="yolov8n.yaml")
    parser.add_argument("--runs", type=Path, default=Path("build/runs"))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--lr0", type=float, default=0.01, help="initial learning rate")
    parser.add_argument("--workers", type=int, default=2, help="data-loading processes")
    parser.add_argument("--warmup-epochs", type=float, default=-1, help="-1: 3 when lr0 >= 0.01, else none")
    parser.add_argument("--optimizer", default="auto", help="auto (ultralytics chooses and ignores lr0), SGD, AdamW")
    parser.add_argument("--rect", action="store_true", help="train on rectangles (shuffled rectangular batches)")
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                        help="auto: mixed precision on a GPU, bfloat16 on a CPU with AMX or AVX-512 BF16")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    best = train(TrainJob(args.name, args.data, args.imgsz, args.epochs, args.hours, args.start, args.runs,
                          args.batch, args.resume, args.device, args.lr0, args.workers,
                          args.warmup_epochs, args.optimizer, rect=args.rect, precision=args.precision))
    log.info("best checkpoint: %s", best)


if __name__ == "__main__":
    main()
