"""A small float ONNX model shaped like a one-class YOLOv8 export, for tests of INT8 quantization."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _conv(name: str, x: str, out: str, channels: tuple[int, int, int], *, rng: np.random.Generator,
          weights: list[onnx.TensorProto]) -> onnx.NodeProto:
    """A 3x3 Conv from ``x`` to ``out``; ``channels``: in, out, stride. Its weights are appended to ``weights``."""
    cin, cout, stride = channels
    w = numpy_helper.from_array(rng.normal(0, 0.3, (cout, cin, 3, 3)).astype(np.float32), f"{name}.w")
    b = numpy_helper.from_array(np.zeros(cout, np.float32), f"{name}.b")
    weights += [w, b]
    return helper.make_node("Conv", [x, w.name, b.name], [out], name=name, kernel_shape=[3, 3],
                            strides=[stride, stride], pads=[1, 1, 1, 1])


def write_tiny_detector(path: Path) -> Path:
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
