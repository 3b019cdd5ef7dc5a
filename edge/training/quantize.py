"""INT8 copies of the exported models: what is shipped since the seventh session (about 30 % faster).

Static quantization with onnxruntime (QDQ format, weights per output channel as signed integers,
activations as unsigned 8 bits with ranges calibrated on real training images, fed exactly as at run
time: :func:`edge.vision.preprocess.letterbox` into the model's own input shape). The nodes of the YOLO
head (``/model.22/``: its last convolutions and the box decoding) stay in float: box coordinates
quantized to 8 bits move the boxes the reader is given. ``head="blocks"`` (shipped since the thirteenth
session) also quantizes the head's 3x3 Conv blocks (``cv2.*.0``, ``cv2.*.1``, ``cv3.*.0``, ``cv3.*.1``,
most of its compute) and keeps only its last 1x1 convolutions and the decoding in float: each model a
quarter to a third faster, a few reads fewer (models/README.md, "Thirteenth session"); ``head="all"``
quantizes everything.

The weights use 7 of their 8 bits (``reduce_range``, values -64..64). On an x86 CPU without VNNI (AVX2
only, as on many small gate boxes and on virtual machines that hide AVX-512) onnxruntime multiplies
unsigned 8-bit activations by signed 8-bit weights with an instruction that adds pairs of products into
16 bits and saturates: with full-range weights (2 x 255 x 127 > 32,767) the sums overflow and the model
computes something else. Measured on such a machine (tenth session): the full-range detector found 285
of 507 held-out plates where its float original found 358; the 7-bit copy found 355, as fast as the
full-range one. With 7-bit weights no pair can overflow (2 x 255 x 64 = 32,640), so every CPU computes
the same integers.

    python -m edge.training.quantize models/plate-detector.onnx build/int8/plate-detector.onnx \\
        --shared ../shared/datasets --count 100

The output keeps the source's metadata, with ``-int8w7`` (and ``-headblocks`` or ``-headall``) added to
its ``carwatch_version``; compare it with ``carwatch-edge eval`` (``CARWATCH_VISION__MODELS_DIR``) and
``carwatch-edge bench`` before shipping it (models/README.md, "Seventh session").
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from edge.training.sources import detector_dev_photo, load_real_images
from edge.vision.errors import ModelError
from edge.vision.onnx_model import OnnxModel
from edge.vision.preprocess import letterbox

log = logging.getLogger(__name__)

HEAD_PREFIX = "/model.22/"  # the Detect head of a YOLOv8 export
VERSION_KEY = "carwatch_version"
VERSION_SUFFIX = "-int8w7"  # INT8 with 7-bit weights; the full-range copies before them were "-int8"
WEIGHT_RANGE = (-64, 64)  # what onnxruntime's reduced-range weights hold: 2 x 255 x 64 fits in 16 bits
CALIBRATION_METHODS = {"minmax": "MinMax", "entropy": "Entropy", "percentile": "Percentile"}
HEAD_CHOICES = ("float", "blocks", "all")  # how much of the YOLO head is quantized
QUANTIZED_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "ConvInteger"}


def calibration_photos(shared: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` training photos (never dev or held-out ones), drawn at random with ``seed``."""
    photos = sorted(i.image for i in load_real_images(shared) if i.split == "train" and not detector_dev_photo(i))
    if not photos:
        raise FileNotFoundError(f"no training photos under {shared}")
    return random.Random(seed).sample(photos, min(count, len(photos)))


def folder_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` of the JPEG and PNG images in ``folder``, drawn at random with ``seed``."""
    images = sorted(p for p in folder.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not images:
        raise FileNotFoundError(f"no images in {folder}")
    return random.Random(seed).sample(images, min(count, len(images)))


def blobs(model: OnnxModel, images: Sequence[Path], *, square: bool = False) -> Iterator[np.ndarray]:
    """The model's input for each readable image, made as at run time (a dynamic model's rectangle), or with
    ``square`` letterboxed into the model's square, so that every input and output has one shape."""
    for path in images:
        image = cv2.imread(str(path))
        if image is None:
            log.warning("cannot read %s: not used for calibration", path)
            continue
        info = model.info
        yield letterbox(image, *((info.input_height, info.input_width) if square
                                 else info.input_shape(*image.shape[:2])))[0]


class _Feed:
    """onnxruntime's CalibrationDataReader protocol over a sequence of input blobs."""

    def __init__(self, input_name: str, inputs: Iterator[np.ndarray]) -> None:
        self.input_name = input_name
        self.inputs = inputs

    def get_next(self) -> dict[str, np.ndarray] | None:
        blob = next(self.inputs, None)
        return None if blob is None else {self.input_name: blob}


def _head_block(name: str) -> bool:
    """Whether node ``name`` is in one of the head's 3x3 Conv blocks (``/model.22/cv2.0/cv2.0.1/...``)."""
    parts = name.split("/")
    if len(parts) < 4 or parts[1] != HEAD_PREFIX.strip("/"):
        return False
    branch, block = parts[2], parts[3]
    return branch[:4] in ("cv2.", "cv3.") and block.startswith(branch + ".") and block[len(branch) + 1:] in ("0", "1")


def float_nodes(names: Sequence[str], head: str) -> list[str]:
    """The nodes left in float for ``head`` (one of ``HEAD_CHOICES``)."""
    if head not in HEAD_CHOICES:
        raise ValueError(f"head must be one of {HEAD_CHOICES}, not {head!r}")
    if head == "all":
        return []
    return [n for n in names if n.startswith(HEAD_PREFIX) and not (head == "blocks" and _head_block(n))]


def quantize(source: Path, target: Path, images: Sequence[Path], *, head: str = "float",
             method: str = "minmax") -> Path:
    """Write an INT8 (QDQ) copy of ``source`` to ``target``, calibrated on ``images``; a ModelError when
    ``source`` is not a model the run time loads, a ValueError when it is quantized already or ``head`` is
    not one of ``HEAD_CHOICES``."""
    import onnx  # noqa: PLC0415 - training extra only
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static  # noqa: PLC0415
    from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: PLC0415

    model = OnnxModel(source)  # a missing or broken source fails here, with a ModelError naming it
    proto = onnx.load(str(source))
    if any(node.op_type in QUANTIZED_OPS for node in proto.graph.node):
        raise ValueError(f"{source} is quantized already: export the float model from its checkpoint first")
    # Entropy and percentile calibration stack every image's outputs into one array: a dynamic model fed
    # rectangles of several shapes breaks that, so they calibrate on squares; min-max on run-time inputs.
    feed = _Feed(proto.graph.input[0].name, blobs(model, images, square=method != "minmax"))
    exclude = float_nodes([n.name for n in proto.graph.node], head)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(target), feed, quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True,
                        nodes_to_exclude=exclude,
                        calibrate_method=CalibrationMethod[CALIBRATION_METHODS[method]])
    # quantize_static does not keep the metadata the run time reads: copy it, marking the version.
    meta = {p.key: p.value for p in proto.metadata_props}
    head_mark = "" if head == "float" else f"-head{head}"  # "-int8w7-headblocks": the 3x3 head blocks too
    meta[VERSION_KEY] = f"{meta.get(VERSION_KEY, 'unknown')}{VERSION_SUFFIX}{head_mark}"
    out = onnx.load(str(target))
    onnx.helper.set_model_props(out, meta)
    onnx.save(out, str(target))
    OnnxModel(target)  # the run time must accept it
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write an INT8 copy of a CarWatch ONNX model.")
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--shared", type=Path, default=Path("../shared/datasets"),
                        help="real photos to calibrate on (their training split)")
    parser.add_argument("--images", type=Path,
                        help="calibrate on the images of this folder instead (for the reader: training crops, "
                             "such as build/reader/real/images)")
    parser.add_argument("--count", type=int, default=100, help="calibration images")
    parser.add_argument("--head", choices=HEAD_CHOICES, default="float",
                        help="float: the YOLO head stays float (shipped); blocks: its 3x3 Conv blocks in INT8 too "
                             "(a third faster, a few reads fewer); all: the whole head (moves boxes)")
    parser.add_argument("--method", choices=sorted(CALIBRATION_METHODS), default="minmax",
                        help="how activation ranges are set from the calibration images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.count < 1:
        parser.error("--count must be at least 1")
    try:
        photos = (folder_images(args.images, args.count) if args.images is not None
                  else calibration_photos(args.shared, args.count))
        quantize(args.source, args.target, photos, head=args.head, method=args.method)
    except (FileNotFoundError, ValueError, ModelError) as exc:
        log.error("no INT8 model: %s", exc)
        return 1
    log.info("wrote %s (calibrated on %d images)", args.target, len(photos))
    return 0


if __name__ == "__main__":
    sys.exit(main())
