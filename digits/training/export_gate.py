"""Put the gate beside the digit readers in one ONNX graph, without touching the readers.

The readers' graph (exported from Keras, or taken as it is from a shipped model) keeps every node and weight;
its output is renamed `members_probs`. The gate's graph (Keras -> ONNX, int8 convolutions like the readers',
checked against Keras and float32) reads the same `image`; its logit plus a prior shift (the gate learns from as
many non-digits as digits, users send mostly digits), clipped to [-15, 15], is z: `not_digit` = sigmoid(z) and
`probs` = members_probs * sigmoid(-z). Each row of `probs` and `not_digit` sums to 1, and a positive factor
never changes which digit is likeliest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits import contract
from digits.config import Config
from digits.errors import DigitsError, ModelError
from digits.preprocess import preprocess

LOGIT = "not_digit_logit"
CLIP = 15.0  # sigmoid(15) < 1 in float32, so no image reaches a threshold of 1; sigmoid(-15) = 3e-7 keeps the
# readers' probabilities, times it, far above float32's smallest
CALIBRATION = 4096  # training digits and non-digits, half each, whose activations set the gate's int8 ranges: with
# 512 (the readers' number) its int8 probabilities moved by up to 0.45, with 4096 by 0.08 (runs of issue 24)
MAX_GATE_DIFF = 0.05  # int8 may move the gate's probability by at most this on 99% of the parity images (a few
# near 1/2, where the sigmoid is steepest, move more: the maximum is recorded) ...
MAX_GATE_FLIPS = 0.005  # ... and flip at most this share of its decisions at 1/2, against float32


@dataclass(frozen=True)
class GateParity:
    """How the gate's ONNX graph matches its Keras model, and int8 its float32 graph."""

    images: int
    max_logit_diff: float  # float32 graph vs Keras
    int8_max_diff: float | None  # probability, float32 vs int8; None when not quantised
    int8_flips: int | None  # decisions at 1/2 that int8 takes otherwise


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -CLIP, CLIP)))


def _logits(path, inputs: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run([LOGIT], {contract.INPUT_NAME: inputs[i : i + 256]})[0]
                           for i in range(0, len(inputs), 256)])[:, 0]


def gate_onnx(model, inputs: np.ndarray, calibration: np.ndarray, workdir, int8: bool = True):
    """The Keras gate as an ONNX ModelProto (output `not_digit_logit`), checked on (N, 28, 28, 1) `inputs`;
    int8 convolutions calibrated on `calibration`, digits and non-digits alike. Raises above the limits."""
    import onnx

    from digits.training.export import PARITY_TOLERANCE, _convert, _quantise

    float_path, int8_path = workdir / "gate.f32.onnx", workdir / "gate.int8.onnx"
    onnx.save(_convert(model, contract.OPSET, LOGIT), float_path)
    keras_logits = model.predict(inputs, batch_size=256, verbose=0)[:, 0]
    float_logits = _logits(float_path, inputs)
    diff = float(np.abs(keras_logits - float_logits).max())
    if diff > 1000 * PARITY_TOLERANCE:  # logits, not probabilities: a few units in the 4th decimal are fine
        raise ModelError(f"gate export parity failed: max |Keras - ONNX| logit {diff:.2e}; nothing was written")
    if not int8:
        return onnx.load(float_path), GateParity(len(inputs), diff, None, None)
    _quantise(float_path, int8_path, calibration)
    p_float, p_int8 = _sigmoid(float_logits), _sigmoid(_logits(int8_path, inputs))
    moved, flips = np.abs(p_float - p_int8), int(((p_float >= 0.5) != (p_int8 >= 0.5)).sum())
    if np.quantile(moved, 0.99) > MAX_GATE_DIFF or flips > MAX_GATE_FLIPS * len(inputs):
        raise ModelError(f"gate int8 parity failed: |float32 - int8| {np.quantile(moved, 0.99):.3f} on 99% of the "
                         f"images (limit {MAX_GATE_DIFF}), {flips} of {len(inputs)} decisions flipped "
                         f"(limit {MAX_GATE_FLIPS:.1%}); export with --float32")
    return onnx.load(int8_path), GateParity(len(inputs), diff, float(moved.max()), flips)


def readers_of(model):
    """A model's digit readers alone, with output `probs`: the model itself, or it without its gate."""
    import onnx
    import onnx.utils

    outputs = [o.name for o in model.graph.output]
    if contract.NOT_DIGIT_NAME not in outputs:
        return model
    model = onnx.ModelProto.FromString(model.SerializeToString())
    if contract.MEMBERS_NAME not in {v.name for v in model.graph.value_info}:  # the extractor needs its type
        model.graph.value_info.append(onnx.helper.make_tensor_value_info(
            contract.MEMBERS_NAME, onnx.TensorProto.FLOAT, ["N", contract.NUM_CLASSES]))
    readers = onnx.utils.Extractor(model).extract_model([contract.INPUT_NAME], [contract.MEMBERS_NAME])
    _rename(readers.graph, contract.MEMBERS_NAME, contract.OUTPUT_NAME)
    readers.metadata_props.extend(model.metadata_props)
    return readers


def _rename(graph, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in graph.output:
        if value.name == old:
            value.name = new


def attach_gate(readers, gate, shift: float = Config.gate_shift):
    """One ModelProto: the readers' graph unchanged beside the gate's, outputs `probs` and `not_digit`."""
    import onnx
    from onnx import TensorProto, helper

    gate = onnx.compose.add_prefix(gate, "gate/")
    merged = onnx.ModelProto()
    merged.CopyFrom(readers)
    graph = merged.graph
    _rename(graph, contract.OUTPUT_NAME, contract.MEMBERS_NAME)
    for node in gate.graph.node:
        node.input[:] = [contract.INPUT_NAME if name == "gate/" + contract.INPUT_NAME else name for name in node.input]
    graph.node.extend(gate.graph.node)
    graph.initializer.extend(gate.graph.initializer)
    graph.value_info.extend(gate.graph.value_info)
    graph.initializer.extend([helper.make_tensor("gate/clip_low", TensorProto.FLOAT, [], [-CLIP]),
                              helper.make_tensor("gate/clip_high", TensorProto.FLOAT, [], [CLIP]),
                              helper.make_tensor("gate/shift", TensorProto.FLOAT, [], [shift])])
    graph.node.extend([
        helper.make_node("Add", ["gate/" + LOGIT, "gate/shift"], ["gate/shifted"], name="gate/prior"),
        helper.make_node("Clip", ["gate/shifted", "gate/clip_low", "gate/clip_high"], ["gate/z"], name="gate/clip"),
        helper.make_node("Sigmoid", ["gate/z"], [contract.NOT_DIGIT_NAME], name="gate/not_digit"),
        helper.make_node("Neg", ["gate/z"], ["gate/minus_z"], name="gate/neg"),
        helper.make_node("Sigmoid", ["gate/minus_z"], ["gate/digit"], name="gate/digit"),  # 1 - p, exactly
        helper.make_node("Mul", [contract.MEMBERS_NAME, "gate/digit"], [contract.OUTPUT_NAME], name="gate/scale"),
    ])
    del graph.output[:]
    graph.output.extend([helper.make_tensor_value_info(contract.OUTPUT_NAME, TensorProto.FLOAT, ["N", 10]),
                         helper.make_tensor_value_info(contract.NOT_DIGIT_NAME, TensorProto.FLOAT, ["N", 1])])
    onnx.checker.check_model(merged)
    return merged


@dataclass(frozen=True)
class GateExportReport:
    """What was written, and what was checked on the way."""

    onnx_path: Path
    size_bytes: int
    parity: GateParity
    unchanged: int  # MNIST test and Semeion digits whose likeliest digit is the readers' own: all, or none is written
    checked: int
    mnist_accuracy: float
    semeion_accuracy: float
    mnist_not_digit: float  # share of MNIST test digits the gate calls not a digit at the default threshold
    metadata: dict[str, str]


def export_with_gate(gate_keras: Path, readers_onnx: Path, onnx_path: Path, data_dir: Path, int8: bool = True,
                     threshold: float = Config.not_digit_threshold, shift: float = Config.gate_shift
                     ) -> GateExportReport:
    """The readers of `readers_onnx` (its gate, if any, dropped) and the Keras gate in one graph, at `onnx_path`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import onnx

    from digits.inference import Classifier
    from digits.training.data import load_mnist, load_semeion
    from digits.training.evaluate import evaluate
    from digits.training.export import PARITY_IMAGES, _history
    from digits.training.negatives import non_digits
    from digits.training.train import split_validation

    for path, fix in ((gate_keras, "run `digits train-gate`"), (readers_onnx, "pass --readers")):
        if not Path(path).is_file():
            raise DigitsError(f"{path}: not found; {fix}")
    gate = keras.saving.load_model(gate_keras, compile=False)
    readers = readers_of(onnx.load(readers_onnx))
    test, sem, train = load_mnist(data_dir, "test"), load_semeion(data_dir), load_mnist(data_dir, "train")
    train_idx, _ = split_validation(train.labels, Config.val_size, Config.seed)  # never validation digits
    pieces = train.images[train_idx]
    digits = np.stack([preprocess(d).image for d in test.images[:PARITY_IMAGES]])
    others = non_digits("train", PARITY_IMAGES // 16, seed=7, digits=pieces)[0]
    calibration = np.concatenate([np.stack([preprocess(d).image for d in pieces[: CALIBRATION // 2]]),
                                  non_digits("train", CALIBRATION // 32, seed=8, digits=pieces)[0]])
    onnx_path = Path(onnx_path)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_path.with_name(f".{onnx_path.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory() as work:
        try:
            gate_model, parity = gate_onnx(gate, np.concatenate([digits, others])[..., None],
                                           calibration[..., None], Path(work), int8)
            merged = attach_gate(readers, gate_model, shift)
            onnx.save(merged, tmp)
            both, alone = Classifier(tmp), Classifier(readers.SerializeToString())
            seen = np.concatenate([digits, np.stack([preprocess(d).image for d in sem.images])])[..., None]
            unchanged = int((both.probabilities(seen).argmax(1) == alone.probabilities(seen).argmax(1)).sum())
            if unchanged != len(seen):
                raise ModelError(f"the gate changed the likeliest digit of {len(seen) - unchanged} of {len(seen)} "
                                 "digits; nothing was written")
            mnist = evaluate(both, test.images, test.labels, "MNIST test")
            semeion = evaluate(both, sem.images, sem.labels, "Semeion").accuracy
            called = both.scores(mnist.seen[..., None])[1] >= threshold
            record = _history(Path(gate_keras))
            metadata = {p.key: p.value for p in readers.metadata_props} | {
                "contract": contract.describe(rejects=True),
                "mnist_test_accuracy": f"{mnist.accuracy:.4f}",
                "semeion_accuracy": f"{semeion:.4f}",
                "gate": f"a CNN of width {record.get('config', {}).get('gate_width', '?')} beside the readers",
                "gate_training_config": json.dumps(record.get("config", {})),
                "gate_families": json.dumps(record.get("families", [])),
                "gate_keras_sha256": hashlib.sha256(Path(gate_keras).read_bytes()).hexdigest(),
                "gate_int8_max_abs_diff": "" if parity.int8_max_diff is None else f"{parity.int8_max_diff:.2e}",
                "not_digit_threshold": f"{threshold}",
                "gate_shift": f"{shift}",
                "mnist_test_not_digit": f"{called.mean():.4f}",
                "exported_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            del merged.metadata_props[:]
            onnx.helper.set_model_props(merged, metadata)
            onnx.save(merged, tmp)
            os.replace(tmp, onnx_path)
        finally:
            tmp.unlink(missing_ok=True)
    return GateExportReport(onnx_path, onnx_path.stat().st_size, parity, unchanged, len(seen), mnist.accuracy,
                            semeion, float(called.mean()), metadata)
