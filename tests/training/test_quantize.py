"""INT8 copies of the shipped models: loadable by the run time, head in float, same plates found."""

from __future__ import annotations

from pathlib import Path

import cv2
import onnx
import pytest

from edge.training.quantize import HEAD_PREFIX, folder_images, main, quantize
from edge.vision.detector import PlateDetector
from edge.vision.errors import ModelError
from edge.vision.onnx_model import OnnxModel

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "tests" / "images"
SOURCE = ROOT / "models" / "plate-detector.onnx"


@pytest.fixture(scope="module")
def int8_detector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("int8") / "plate-detector.onnx"
    return quantize(SOURCE, target, folder_images(IMAGES, 10))


def _weights_quantized(model: onnx.ModelProto, node_prefix: str) -> int:
    """Conv nodes under ``node_prefix`` whose weight comes through a DequantizeLinear."""
    dequantized = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    return sum(1 for n in model.graph.node
               if n.op_type == "Conv" and n.name.startswith(node_prefix) and n.input[1] in dequantized)


def test_the_int8_detector_is_smaller_keeps_its_metadata_and_its_head_in_float(int8_detector: Path) -> None:
    assert int8_detector.stat().st_size < SOURCE.stat().st_size / 2
    float_info, int8_info = OnnxModel(SOURCE).info, OnnxModel(int8_detector).info
    assert int8_info.version == f"{float_info.version}-int8"
    assert int8_info.names == float_info.names and int8_info.dynamic == float_info.dynamic
    model = onnx.load(str(int8_detector))
    assert _weights_quantized(model, "/model.0/") == 1  # the backbone is INT8
    assert _weights_quantized(model, HEAD_PREFIX) == 0  # the head is not: boxes stay where they were


def test_the_int8_detector_finds_the_same_plates(int8_detector: Path) -> None:
    floats, int8s = PlateDetector(OnnxModel(SOURCE)), PlateDetector(OnnxModel(int8_detector))
    for photo in sorted(IMAGES.glob("*.jpg")):
        image = cv2.imread(str(photo))
        a, b = floats.detect(image), int8s.detect(image)
        assert len(a) == len(b) >= 1, photo.name
        for x, y in zip(a, b, strict=True):
            assert abs(x.box.x1 - y.box.x1) < 0.1 * x.box.width and abs(x.box.x2 - y.box.x2) < 0.1 * x.box.width


def test_calibration_needs_images(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no images"):
        folder_images(tmp_path, 5)
    assert main([str(SOURCE), str(tmp_path / "out.onnx"), "--images", str(tmp_path)]) == 1
    assert not (tmp_path / "out.onnx").exists()
    with pytest.raises(SystemExit):
        main([str(SOURCE), str(tmp_path / "out.onnx"), "--count", "0"])


def test_a_missing_or_broken_source_model_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        quantize(broken, tmp_path / "out.onnx", folder_images(IMAGES, 2))
    assert main([str(tmp_path / "missing.onnx"), str(tmp_path / "out.onnx"), "--images", str(IMAGES)]) == 1
    assert not (tmp_path / "out.onnx").exists()
