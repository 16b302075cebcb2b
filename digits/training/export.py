"""Keras -> ONNX through tf2onnx, quantised to int8, with parity checks and the model card in the metadata.

Run: python cli.py export --data ../shared/data
(reads the members in `config.MEMBERS`, writes models/digits.onnx). Several Keras models are exported
as one graph whose output is the mean of their probabilities: the shipped model averages a CNN trained
on single digits and one also trained to be unsure of touching pairs (`--pair-fraction`), so that
numbers are cut where digits touch. The float32 graph must match Keras (1e-4); its int8 version
(onnxruntime static quantisation of the convolutions, heads kept float32) must read the parity
images as float32 does, within limits. Otherwise the export raises and writes nothing. `--float32`
ships the float32 graph instead.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits import contract
from digits.config import Config
from digits.errors import DigitsError, ModelError
from digits.inference import Classifier
from digits.preprocess import preprocess
from digits.training.data import load_mnist, load_semeion
from digits.training.evaluate import evaluate
from digits.training.train import split_validation

PARITY_IMAGES = 1000
PARITY_TOLERANCE = 1e-4
CALIBRATION_IMAGES = 512  # training digits whose activations set the int8 ranges
MAX_INT8_CHANGES = 0.005  # int8 may read at most this share of the parity images differently from float32 ...
MAX_INT8_DIFF = 0.05  # ... and change no probability by more than this


@dataclass(frozen=True)
class ExportReport:
    """What was written and what was measured on the way."""

    onnx_path: Path
    size_bytes: int
    parity_max_abs_diff: float  # float32 graph vs Keras
    parity_images: int
    int8_changes: int | None  # parity images int8 reads differently from float32; None when not quantised
    int8_max_abs_diff: float | None  # largest probability change from float32 to int8 on them
    mnist_accuracy: float
    semeion_accuracy: float
    metadata: dict[str, str]


def _convert(model, opset: int, output: str = contract.OUTPUT_NAME):
    """The Keras model as an ONNX ModelProto, input `image` and output `output` (the contract's `probs`)."""
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, *contract.INPUT_SHAPE), tf.float32, name=contract.INPUT_NAME),)

    @tf.function(input_signature=spec)
    def serve(image):
        return {output: model(image, training=False)}

    onnx_model, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=opset)
    for tensor in (*onnx_model.graph.input, *onnx_model.graph.output):
        tensor.type.tensor_type.shape.dim[0].dim_param = "N"  # tf2onnx names the batch axis unk__NN
    return onnx_model


def _parity(model, onnx_path: Path, inputs: np.ndarray) -> tuple[float, np.ndarray]:
    """(max |Keras - onnxruntime|, onnxruntime's (N, 10) probabilities) on (N, 28, 28, 1) inputs.

    Raises when the difference is above tolerance or any argmax differs.
    """
    keras_probs = model.predict(inputs, batch_size=256, verbose=0)
    onnx_probs = Classifier(onnx_path).probabilities(inputs)
    diff = float(np.abs(keras_probs - onnx_probs).max())
    flips = int((keras_probs.argmax(1) != onnx_probs.argmax(1)).sum())
    if diff > PARITY_TOLERANCE or flips:
        raise ModelError(
            f"export parity failed on {len(inputs)} MNIST test images: max |Keras - ONNX| = {diff:.2e} "
            f"(limit {PARITY_TOLERANCE:.0e}), {flips} different predictions; the ONNX file was not written"
        )
    return diff, onnx_probs


def _quantise(float_path: Path, out_path: Path, calibration: np.ndarray) -> None:
    """Static int8 quantisation (QDQ, int8 weights per channel, uint8 activations) calibrated on (N, 28, 28, 1)."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(np.array_split(calibration, max(1, len(calibration) // 64)))

        def get_next(self) -> dict | None:
            return next(({contract.INPUT_NAME: b} for b in self.batches), None)

    prepared = out_path.with_suffix(".pre")
    try:
        quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
        # the 10-way heads and what follows them (the members' mean) stay float32: quantised, the probabilities
        # come in steps of 1/255, and confidences (the review threshold, how to cut touching digits) lose meaning
        head, floats = [], set()
        for node in onnx.load(str(prepared)).graph.node:  # in topological order
            if node.op_type in ("Gemm", "MatMul", "Softmax") or floats.intersection(node.input):
                head.append(node.name)
                floats.update(node.output)
        quantize_static(str(prepared), str(out_path), Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_exclude=head)
    finally:
        prepared.unlink(missing_ok=True)


def _int8_parity(float_probs: np.ndarray, int8_path: Path, inputs: np.ndarray) -> tuple[int, float]:
    """(images int8 reads as another digit than float32, max |probability difference|); raises above the limits."""
    int8_probs = Classifier(int8_path).probabilities(inputs)
    changed = int((float_probs.argmax(1) != int8_probs.argmax(1)).sum())
    diff = float(np.abs(float_probs - int8_probs).max())
    if changed > MAX_INT8_CHANGES * len(inputs) or diff > MAX_INT8_DIFF:
        raise ModelError(
            f"int8 parity failed: {changed} of {len(inputs)} MNIST test images read differently from float32 "
            f"(limit {MAX_INT8_CHANGES:.1%}), max |float32 - int8| = {diff:.3f} (limit {MAX_INT8_DIFF}); "
            "the ONNX file was not written; export with --float32"
        )
    return changed, diff


def _averaged(keras_paths: list[Path]):
    """One Keras model from one or several saved ones: the mean of their (N, 10) probabilities."""
    import keras

    models = [keras.saving.load_model(path, compile=False) for path in keras_paths]  # inference only
    if len(models) == 1:
        return models[0]
    image = keras.Input(contract.INPUT_SHAPE, name=contract.INPUT_NAME)
    for i, model in enumerate(models):
        model.name = f"member{i}"  # saved models share a name; one graph needs them distinct
    return keras.Model(image, keras.layers.Average()([model(image) for model in models]))


def export_onnx(
    keras_paths: Sequence[Path], onnx_path: Path, data_dir: Path, int8: bool = True
) -> ExportReport:
    """Convert (averaging several models), check parity, quantise, measure accuracy, write metadata, move into place."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import onnx
    import tensorflow as tf
    import tf2onnx

    keras_paths, onnx_path = [Path(p) for p in keras_paths], Path(onnx_path)
    for path in keras_paths:
        if not path.is_file():
            raise DigitsError(f"{path}: Keras model not found; run `digits train` or pass --keras")
    model = _averaged(keras_paths)
    test = load_mnist(data_dir, "test")
    onnx_model = _convert(model, contract.OPSET)

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_path.with_name(f".{onnx_path.name}.{os.getpid()}.tmp")
    float_tmp = tmp.with_suffix(".f32")
    try:
        onnx.save(onnx_model, float_tmp)
        inputs = np.stack([preprocess(image).image for image in test.images[:PARITY_IMAGES]])[..., None]
        diff, float_probs = _parity(model, float_tmp, inputs)
        changes, int8_diff = None, None
        if int8:
            train = load_mnist(data_dir, "train")
            train_idx, _ = split_validation(train.labels, Config.val_size, Config.seed)  # never validation digits
            calibration = np.stack([preprocess(train.images[i]).image for i in train_idx[:CALIBRATION_IMAGES]])
            _quantise(float_tmp, tmp, calibration[..., None])
            changes, int8_diff = _int8_parity(float_probs, tmp, inputs)
            onnx_model = onnx.load(tmp)
        else:
            os.replace(float_tmp, tmp)
        classifier = Classifier(tmp)
        mnist = evaluate(classifier, test.images, test.labels, "MNIST test").accuracy
        sem = load_semeion(data_dir)
        semeion = evaluate(classifier, sem.images, sem.labels, "Semeion").accuracy
        histories = [_history(path) for path in keras_paths]
        joined = lambda key: ", ".join(dict.fromkeys(str(h.get(key, "")) for h in histories))  # noqa: E731
        metadata = {
            "name": "digits",
            "contract": contract.describe(),
            "mnist_test_accuracy": f"{mnist:.4f}",
            "semeion_accuracy": f"{semeion:.4f}",
            "members": str(len(keras_paths)),  # Keras models averaged; the lists below are in this order
            "training_config": json.dumps([h.get("config", {}) for h in histories]),
            "best_epoch": ", ".join(str(h.get("best_epoch", "")) for h in histories),
            "train_images_sha256": joined("train_images_sha256"),  # one value when all trained on the same data
            "train_labels_sha256": joined("train_labels_sha256"),
            "keras_sha256": ", ".join(hashlib.sha256(path.read_bytes()).hexdigest() for path in keras_paths),
            "parity_max_abs_diff": f"{diff:.2e}",
            "weights": "int8 convolutions (onnxruntime static quantisation, QDQ), float32 heads" if int8 else "float32",
            "int8_changes": "" if changes is None else f"{changes}/{len(inputs)}",
            "int8_max_abs_diff": "" if int8_diff is None else f"{int8_diff:.2e}",
            "tensorflow_version": tf.__version__,
            "keras_version": keras.__version__,
            "tf2onnx_version": tf2onnx.__version__,
            "onnx_version": onnx.__version__,
            "opset": str(contract.OPSET),
            "exported_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        onnx.helper.set_model_props(onnx_model, metadata)
        onnx.save(onnx_model, tmp)
        os.replace(tmp, onnx_path)
    finally:
        tmp.unlink(missing_ok=True)
        float_tmp.unlink(missing_ok=True)
    size = onnx_path.stat().st_size
    return ExportReport(onnx_path, size, diff, len(inputs), changes, int8_diff, mnist, semeion, metadata)


def _history(keras_path: Path) -> dict:
    """The training record written beside a Keras model (empty when there is none)."""
    path = keras_path.with_name("history.json")
    return json.loads(path.read_text()) if path.is_file() else {}
