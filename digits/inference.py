"""The classifier: one onnxruntime session, checked against the contract, predicting in batches.

Never imports TensorFlow, Keras or tf2onnx (a test checks `sys.modules`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from digits import contract
from digits.config import DEFAULT_MODEL, Config
from digits.errors import ModelError, first_line
from digits.preprocess import Preprocessed, preprocess


@dataclass(frozen=True)
class Prediction:
    """What the model read in one image."""

    digit: int | None  # None when the image is blank
    confidence: float  # probability of `digit`; 0.0 when blank
    probabilities: np.ndarray  # (10,) float32, each digit's probability; all zeros when blank
    seen: Preprocessed  # the 28x28 input the model saw
    not_digit: float | None = None  # probability that it is no digit at all; None: the model cannot tell

    @property
    def blank(self) -> bool:
        return self.digit is None

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k most likely digits with their probabilities, best first."""
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [(int(d), float(self.probabilities[d])) for d in order]


def _session(model: Path | bytes, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0: one per core
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        source = model if isinstance(model, bytes) else str(model)
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for corrupt protobufs and bad graphs
        fix = "run `digits export` or pass --model"
        raise ModelError(f"{_name(model)}: not a valid ONNX model ({first_line(exc)}); {fix}") from None


def _name(model: Path | bytes) -> str:
    return f"the model given as {len(model):,} bytes" if isinstance(model, bytes) else str(model)


def _check_contract(session, path: str) -> bool:
    """Raises unless the model keeps the contract; returns whether it has the not-a-digit output."""
    inputs, outputs = session.get_inputs(), {out.name: out for out in session.get_outputs()}
    rejects = contract.NOT_DIGIT_NAME in outputs
    want = contract.describe(rejects)
    if len(inputs) != 1 or len(outputs) != 1 + rejects:
        raise ModelError(f"{path}: {len(inputs)} inputs and outputs {sorted(outputs)}; expected {want}")
    inp, out = inputs[0], outputs.get(contract.OUTPUT_NAME)
    shape_ok = len(inp.shape) == 4 and list(inp.shape[1:]) == list(contract.INPUT_SHAPE)
    if inp.name != contract.INPUT_NAME or inp.type != "tensor(float)" or not shape_ok:
        raise ModelError(f"{path}: input is '{inp.name}' {inp.type} {inp.shape}; expected {want}")
    if out is None or len(out.shape) != 2 or out.shape[1] != contract.NUM_CLASSES:
        shape = f"'{out.name}' {out.shape}" if out is not None else f"{sorted(outputs)}"
        raise ModelError(f"{path}: output is {shape}; expected {want}")
    if rejects and (len(outputs[contract.NOT_DIGIT_NAME].shape) != 2 or outputs[contract.NOT_DIGIT_NAME].shape[1] != 1):
        raise ModelError(f"{path}: output '{contract.NOT_DIGIT_NAME}' is {outputs[contract.NOT_DIGIT_NAME].shape}; "
                         f"expected {want}")
    return rejects


class Classifier:
    """One onnxruntime session over the digits model; create once, call many times."""

    def __init__(
        self, model: Path | bytes = DEFAULT_MODEL, threads: int = Config.threads, batch: int = Config.model_batch,
        gate: bool = True,
    ):
        """`model`: the ONNX file, or its bytes (the Ray engine sends them to machines that lack the file).

        `gate=False` sets the model's gate aside: every image is read with the readers' own probabilities, exactly
        as before the gate (`--not-digit-threshold 1`).
        """
        if not isinstance(model, bytes):
            model = Path(model)
            if not model.is_file():
                raise ModelError(f"{model}: model not found; run `digits export` or pass --model")
        self.path, self.batch = model, batch  # path: a Path, or the bytes themselves
        self.session = _session(model, threads)
        has_gate = _check_contract(self.session, _name(model))  # False: exported before the gate
        self.rejects = has_gate and gate  # says "not a digit"
        self.outputs = [contract.OUTPUT_NAME] + [contract.NOT_DIGIT_NAME] * has_gate
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)

    def scores(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, 28, 28, 1) float32 in [0, 1] -> ((N, 10) digit probabilities, (N,) not-a-digit probability or None
        when the model cannot tell), run in chunks of `batch`."""
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        if inputs.ndim != 4 or inputs.shape[1:] != contract.INPUT_SHAPE:
            raise ValueError(f"expected (N, 28, 28, 1) float32, got {inputs.shape}")
        if len(inputs) == 0:
            return np.zeros((0, contract.NUM_CLASSES), np.float32), np.zeros(0, np.float32) if self.rejects else None
        runs = [self.session.run(self.outputs, {contract.INPUT_NAME: inputs[i : i + self.batch]})
                for i in range(0, len(inputs), self.batch)]
        probs = np.concatenate([run[0] for run in runs])
        if len(self.outputs) == 1:
            return probs, None
        not_digit = np.concatenate([run[1][:, 0] for run in runs])
        if not self.rejects:  # the gate set aside: the readers' own probabilities, as the graph had them before
            return (probs / (1 - not_digit[:, None].astype(np.float64))).astype(np.float32), None
        return probs, not_digit

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, 10) float32, each digit's probability."""
        return self.scores(inputs)[0]

    def classify(self, seen: Sequence[Preprocessed]) -> list[Prediction]:
        """Predictions for already preprocessed images; blank ones are not run through the model."""
        todo = [i for i, s in enumerate(seen) if not s.blank]
        probs, not_digit = self.scores(np.stack([seen[i].image for i in todo])[..., None]) if todo else (None, None)
        results = [Prediction(None, 0.0, np.zeros(contract.NUM_CLASSES, np.float32), s) for s in seen]
        for row, i in enumerate(todo):
            p = probs[row]
            digit = int(np.argmax(p))
            results[i] = Prediction(digit, float(p[digit]), p, seen[i],
                                    None if not_digit is None else float(not_digit[row]))
        return results

    def predict(self, images: Sequence[Image.Image | np.ndarray]) -> list[Prediction]:
        """Preprocess and classify any images (Pillow images or arrays), in one batch."""
        return self.classify([preprocess(image) for image in images])
