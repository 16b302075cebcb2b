"""Keras -> ONNX through tf2onnx, with a parity check against Keras and the model card in the metadata.

Run: python cli.py export --data ../shared/data   (reads models/digits.keras, writes models/digits.onnx)
The file is written only when Keras and onnxruntime agree; otherwise the export raises and writes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits import contract
from digits.data import load_mnist, load_semeion
from digits.errors import DigitsError, ModelError
from digits.evaluate import evaluate
from digits.inference import Classifier
from digits.preprocess import preprocess

PARITY_IMAGES = 1000
PARITY_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ExportReport:
    """What was written and what was measured on the way."""

    onnx_path: Path
    size_bytes: int
    parity_max_abs_diff: float
    parity_images: int
    mnist_accuracy: float
    semeion_accuracy: float | None
    metadata: dict[str, str]


def _convert(model, opset: int):
    """The Keras model as an ONNX ModelProto, input `image` and output `probs` as in the contract."""
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, *contract.INPUT_SHAPE), tf.float32, name=contract.INPUT_NAME),)

    @tf.function(input_signature=spec)
    def serve(image):
        return {contract.OUTPUT_NAME: model(image, training=False)}

    onnx_model, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=opset)
    for tensor in (*onnx_model.graph.input, *onnx_model.graph.output):
        tensor.type.tensor_type.shape.dim[0].dim_param = "N"  # tf2onnx names the batch axis unk__NN
    return onnx_model


def _parity(model, onnx_path: Path, inputs: np.ndarray) -> float:
    """Max |Keras - onnxruntime| on (N, 28, 28, 1) inputs; raises when above tolerance or any argmax differs."""
    keras_probs = model.predict(inputs, batch_size=256, verbose=0)
    onnx_probs = Classifier(onnx_path).probabilities(inputs)
    diff = float(np.abs(keras_probs - onnx_probs).max())
    flips = int((keras_probs.argmax(1) != onnx_probs.argmax(1)).sum())
    if diff > PARITY_TOLERANCE or flips:
        raise ModelError(
            f"export parity failed on {len(inputs)} MNIST test images: max |Keras - ONNX| = {diff:.2e} "
            f"(limit {PARITY_TOLERANCE:.0e}), {flips} different predictions; the ONNX file was not written"
        )
    return diff


def export_onnx(keras_path: Path, onnx_path: Path, data_dir: Path | None) -> ExportReport:
    """Convert, check parity, measure accuracy, write metadata, then move the file into place."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import onnx
    import tensorflow as tf
    import tf2onnx

    keras_path, onnx_path = Path(keras_path), Path(onnx_path)
    if not keras_path.is_file():
        raise DigitsError(f"{keras_path}: Keras model not found; run `python cli.py train` or pass --keras")
    model = keras.saving.load_model(keras_path, compile=False)  # inference only: no loss or metrics needed
    test = load_mnist(data_dir, "test")
    onnx_model = _convert(model, contract.OPSET)

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_path.with_name(f".{onnx_path.name}.{os.getpid()}.tmp")
    try:
        onnx.save(onnx_model, tmp)
        inputs = np.stack([preprocess(image).image for image in test.images[:PARITY_IMAGES]])[..., None]
        diff = _parity(model, tmp, inputs)
        classifier = Classifier(tmp)
        mnist = evaluate(classifier, test.images, test.labels, "MNIST test").accuracy
        semeion = None
        if data_dir is not None:
            sem = load_semeion(data_dir)
            semeion = evaluate(classifier, sem.images, sem.labels, "Semeion").accuracy
        history_path = keras_path.with_name("history.json")
        history = json.loads(history_path.read_text()) if history_path.is_file() else {}
        metadata = {
            "name": "digits",
            "contract": contract.describe(),
            "mnist_test_accuracy": f"{mnist:.4f}",
            "semeion_accuracy": "" if semeion is None else f"{semeion:.4f}",
            "training_config": json.dumps(history.get("config", {})),
            "best_epoch": str(history.get("best_epoch", "")),
            "train_images_sha256": history.get("train_images_sha256", ""),
            "train_labels_sha256": history.get("train_labels_sha256", ""),
            "keras_sha256": hashlib.sha256(keras_path.read_bytes()).hexdigest(),
            "parity_max_abs_diff": f"{diff:.2e}",
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
    return ExportReport(onnx_path, onnx_path.stat().st_size, diff, len(inputs), mnist, semeion, metadata)
