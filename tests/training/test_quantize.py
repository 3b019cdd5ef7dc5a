"""INT8 copies of the models: loadable by the run time, backbone in INT8, head in float, close outputs.

The shipped models are INT8 already, so the quantizer is tested on a small float model shaped like a
YOLO export (``tiny_onnx.write_tiny_detector``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from edge.training.quantize import (
    HEAD_PREFIX,
    VERSION_SUFFIX,
    WEIGHT_RANGE,
    blobs,
    float_nodes,
    folder_images,
    main,
    quantize,
)
from edge.vision.errors import ModelError
from edge.vision.onnx_model import OnnxModel
from tests.training.tiny_onnx import write_tiny_detector

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "tests" / "images"
MODELS = ROOT / "models"


def _weights_quantized(model: onnx.ModelProto, node_prefix: str) -> int:
    """Conv nodes under ``node_prefix`` whose weight comes through a DequantizeLinear."""
    dequantized = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    return sum(1 for n in model.graph.node
               if n.op_type == "Conv" and n.name.startswith(node_prefix) and n.input[1] in dequantized)


def _int8_weight_range(model: onnx.ModelProto) -> tuple[int, int]:
    """Smallest and largest value of the 8-bit weights that DequantizeLinear nodes read."""
    initializers = {t.name: t for t in model.graph.initializer}
    values = [onnx.numpy_helper.to_array(initializers[n.input[0]]) for n in model.graph.node
              if n.op_type == "DequantizeLinear" and n.input[0] in initializers
              and initializers[n.input[0]].data_type == onnx.TensorProto.INT8]
    assert values, "no 8-bit weights"
    return min(int(v.min()) for v in values), max(int(v.max()) for v in values)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("quantize")
    source = write_tiny_detector(folder / "float.onnx")
    return source, quantize(source, folder / "int8.onnx", folder_images(IMAGES, 10))


def test_the_int8_copy_keeps_the_metadata_and_the_head_in_float(models: tuple[Path, Path]) -> None:
    source, target = models
    float_info, int8_info = OnnxModel(source).info, OnnxModel(target).info
    assert int8_info.version == f"tiny-1{VERSION_SUFFIX}"
    assert int8_info.names == float_info.names == ("plate",) and int8_info.dynamic
    model = onnx.load(str(target))
    assert _weights_quantized(model, "/model.0/") == 1 and _weights_quantized(model, "/model.1/") == 1
    assert _weights_quantized(model, HEAD_PREFIX) == 0  # box outputs stay float: boxes do not move
    assert _weights_quantized(onnx.load(str(source)), "/") == 0


def test_the_int8_weights_use_seven_bits_so_that_no_cpu_saturates(models: tuple[Path, Path]) -> None:
    """Full-range 8-bit weights overflow the 16-bit pair sums of x86 CPUs without VNNI (models/README.md)."""
    low, high = _int8_weight_range(onnx.load(str(models[1])))
    assert WEIGHT_RANGE[0] <= low and high <= WEIGHT_RANGE[1]
    assert high - low > WEIGHT_RANGE[1]  # the range is used, not collapsed


def test_the_int8_copy_computes_nearly_what_the_float_model_does(models: tuple[Path, Path]) -> None:
    source, target = models
    floats, int8s = OnnxModel(source), OnnxModel(target)
    for blob in blobs(floats, folder_images(IMAGES, 3, seed=1)):
        a, b = floats.run(blob), int8s.run(blob)
        assert a.shape == b.shape and a.shape[1] == 5
        assert np.abs(a - b).mean() < 0.05 * np.abs(a).mean()  # INT8 error, not another model


@pytest.mark.parametrize("name", ["plate-detector.onnx", "plate-reader.onnx"])
def test_the_shipped_models_are_int8_with_seven_bit_weights_and_the_head_ends_in_float(name: str) -> None:
    model = onnx.load(str(MODELS / name))
    assert _weights_quantized(model, "/model.0/") == 1
    # The head's 3x3 blocks are INT8 (two per branch and scale: 12); its last 1x1 convolutions, which give
    # the box distances and class scores, and the box decoding stay float.
    assert _weights_quantized(model, HEAD_PREFIX) == 12
    last = [f"{HEAD_PREFIX}cv{b}.{i}/cv{b}.{i}.2/" for b in (2, 3) for i in range(3)] + [f"{HEAD_PREFIX}dfl/"]
    assert sum(_weights_quantized(model, prefix) for prefix in last) == 0
    assert OnnxModel(MODELS / name).info.version.endswith(f"{VERSION_SUFFIX}-headblocks")
    low, high = _int8_weight_range(model)
    assert WEIGHT_RANGE[0] <= low and high <= WEIGHT_RANGE[1]  # the same on a CPU without VNNI


def test_an_int8_model_is_not_quantized_again(tmp_path: Path, models: tuple[Path, Path]) -> None:
    _, target = models
    with pytest.raises(ValueError, match="quantized already"):
        quantize(target, tmp_path / "twice.onnx", folder_images(IMAGES, 2))
    assert main([str(MODELS / "plate-detector.onnx"), str(tmp_path / "twice.onnx"), "--images", str(IMAGES)]) == 1
    assert not (tmp_path / "twice.onnx").exists()


def test_calibration_needs_images(tmp_path: Path, models: tuple[Path, Path]) -> None:
    source, _ = models
    with pytest.raises(FileNotFoundError, match="no images"):
        folder_images(tmp_path, 5)
    assert main([str(source), str(tmp_path / "out.onnx"), "--images", str(tmp_path)]) == 1
    assert not (tmp_path / "out.onnx").exists()
    with pytest.raises(SystemExit):
        main([str(source), str(tmp_path / "out.onnx"), "--count", "0"])


def test_a_missing_or_broken_source_model_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        quantize(broken, tmp_path / "out.onnx", folder_images(IMAGES, 2))
    assert main([str(tmp_path / "missing.onnx"), str(tmp_path / "out.onnx"), "--images", str(IMAGES)]) == 1
    assert not (tmp_path / "out.onnx").exists()


def test_calibration_inputs_are_run_time_rectangles_or_the_square() -> None:
    model = OnnxModel(MODELS / "plate-detector.onnx")  # dynamic, 512: a 960x540 photo is fed as 512x288
    photos = [IMAGES / "ro-B58DTK.jpg", IMAGES / "us-BYE4NOW.jpg"]  # 16:9 and square
    assert [b.shape[2:] for b in blobs(model, photos)] == [(288, 512), (512, 512)]
    assert [b.shape[2:] for b in blobs(model, photos, square=True)] == [(512, 512), (512, 512)]


@pytest.mark.parametrize("method", ["entropy", "percentile"])
def test_other_calibration_methods_also_give_an_int8_copy(tmp_path: Path, models: tuple[Path, Path],
                                                          method: str) -> None:
    source, _ = models
    target = tmp_path / f"{method}.onnx"
    assert main([str(source), str(target), "--images", str(IMAGES), "--count", "3", "--method", method]) == 0
    assert _weights_quantized(onnx.load(str(target)), "/model.0/") == 1
    with pytest.raises(SystemExit):
        main([str(source), str(target), "--images", str(IMAGES), "--method", "guess"])


# Node names as a YOLOv8 export spells them: backbone, the head's 3x3 blocks, its last 1x1 convolutions, decoding.
YOLO_NODES = [
    "/model.0/conv/Conv", "/model.21/cv2/conv/Conv",
    "/model.22/cv2.0/cv2.0.0/conv/Conv", "/model.22/cv2.0/cv2.0.0/act/Mul", "/model.22/cv2.0/cv2.0.1/conv/Conv",
    "/model.22/cv3.2/cv3.2.1/conv/Conv", "/model.22/cv2.0/cv2.0.2/Conv", "/model.22/cv3.2/cv3.2.2/Conv",
    "/model.22/dfl/conv/Conv", "/model.22/Concat_3", "/model.22/Sigmoid",
]


def test_the_head_choice_says_which_nodes_stay_float() -> None:
    last_and_decoding = ["/model.22/cv2.0/cv2.0.2/Conv", "/model.22/cv3.2/cv3.2.2/Conv", "/model.22/dfl/conv/Conv",
                         "/model.22/Concat_3", "/model.22/Sigmoid"]
    assert float_nodes(YOLO_NODES, "float") == [n for n in YOLO_NODES if n.startswith(HEAD_PREFIX)]
    assert float_nodes(YOLO_NODES, "blocks") == last_and_decoding
    assert float_nodes(YOLO_NODES, "all") == []
    with pytest.raises(ValueError, match="head must be one of"):
        float_nodes(YOLO_NODES, "half")


def test_the_whole_head_can_be_quantized_from_the_command_line(tmp_path: Path, models: tuple[Path, Path]) -> None:
    source, _ = models
    for head, quantized in (("blocks", 0), ("all", 1)):  # the tiny head is one last Conv, not a 3x3 block
        target = tmp_path / f"{head}.onnx"
        assert main([str(source), str(target), "--images", str(IMAGES), "--count", "3", "--head", head]) == 0
        assert _weights_quantized(onnx.load(str(target)), HEAD_PREFIX) == quantized
    with pytest.raises(SystemExit):
        main([str(source), str(tmp_path / "x.onnx"), "--images", str(IMAGES), "--head", "half"])
