"""INT8 copies of the models: loadable by the run time, backbone in INT8, head in float, close outputs.

The shipped models are INT8 already, so the quantizer is tested on a small float model shaped like a
YOLO export (named nodes, metadata, a [1, 4 + classes, anchors] output) built here with onnx.helper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge.training.quantize import HEAD_PREFIX, blobs, folder_images, main, quantize
from edge.vision.errors import ModelError
from edge.vision.onnx_model import OnnxModel

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "tests" / "images"
MODELS = ROOT / "models"


def _conv(name: str, x: str, out: str, channels: tuple[int, int, int], *, rng: np.random.Generator,
          weights: list[onnx.TensorProto]) -> onnx.NodeProto:
    """A 3x3 Conv from ``x`` to ``out``; ``channels``: in, out, stride. Its weights are appended to ``weights``."""
    cin, cout, stride = channels
    w = numpy_helper.from_array(rng.normal(0, 0.3, (cout, cin, 3, 3)).astype(np.float32), f"{name}.w")
    b = numpy_helper.from_array(np.zeros(cout, np.float32), f"{name}.b")
    weights += [w, b]
    return helper.make_node("Conv", [x, w.name, b.name], [out], name=name, kernel_shape=[3, 3],
                            strides=[stride, stride], pads=[1, 1, 1, 1])


def _float_model(path: Path) -> Path:
    """images [1, 3, h, w] -> two strided Conv+Relu (/model.0/, /model.1/) -> head Conv (/model.22/) ->
    [1, 5, h/32 * w/32]: a one-class detector's shape, with ultralytics' metadata."""
    rng = np.random.default_rng(0)
    weights: list[onnx.TensorProto] = []
    shape = numpy_helper.from_array(np.array([1, 5, -1], np.int64), "shape")
    nodes = [
        _conv("/model.0/conv/Conv", "images", "a", (3, 8, 4), rng=rng, weights=weights),
        helper.make_node("Relu", ["a"], ["a1"], name="/model.0/act/Relu"),
        _conv("/model.1/conv/Conv", "a1", "b", (8, 16, 8), rng=rng, weights=weights),
        helper.make_node("Relu", ["b"], ["b1"], name="/model.1/act/Relu"),
        _conv("/model.22/cv2/Conv", "b1", "c", (16, 5, 1), rng=rng, weights=weights),
        helper.make_node("Reshape", ["c", "shape"], ["output0"], name="/model.22/Reshape"),
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 5, "anchors"])], [*weights, shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"names": "{0: 'plate'}", "imgsz": "[64, 64]", "carwatch_version": "tiny-1"})
    onnx.save(model, str(path))
    return path


def _weights_quantized(model: onnx.ModelProto, node_prefix: str) -> int:
    """Conv nodes under ``node_prefix`` whose weight comes through a DequantizeLinear."""
    dequantized = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    return sum(1 for n in model.graph.node
               if n.op_type == "Conv" and n.name.startswith(node_prefix) and n.input[1] in dequantized)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("quantize")
    source = _float_model(folder / "float.onnx")
    return source, quantize(source, folder / "int8.onnx", folder_images(IMAGES, 10))


def test_the_int8_copy_keeps_the_metadata_and_the_head_in_float(models: tuple[Path, Path]) -> None:
    source, target = models
    float_info, int8_info = OnnxModel(source).info, OnnxModel(target).info
    assert int8_info.version == "tiny-1-int8"
    assert int8_info.names == float_info.names == ("plate",) and int8_info.dynamic
    model = onnx.load(str(target))
    assert _weights_quantized(model, "/model.0/") == 1 and _weights_quantized(model, "/model.1/") == 1
    assert _weights_quantized(model, HEAD_PREFIX) == 0  # box outputs stay float: boxes do not move
    assert _weights_quantized(onnx.load(str(source)), "/") == 0


def test_the_int8_copy_computes_nearly_what_the_float_model_does(models: tuple[Path, Path]) -> None:
    source, target = models
    floats, int8s = OnnxModel(source), OnnxModel(target)
    for blob in blobs(floats, folder_images(IMAGES, 3, seed=1)):
        a, b = floats.run(blob), int8s.run(blob)
        assert a.shape == b.shape and a.shape[1] == 5
        assert np.abs(a - b).mean() < 0.05 * np.abs(a).mean()  # INT8 error, not another model


def test_the_shipped_models_are_int8_with_the_head_in_float() -> None:
    for name in ("plate-detector.onnx", "plate-reader.onnx"):
        model = onnx.load(str(MODELS / name))
        assert _weights_quantized(model, "/model.0/") == 1, name
        assert _weights_quantized(model, HEAD_PREFIX) == 0, name
        assert OnnxModel(MODELS / name).info.version.endswith("-int8")


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
