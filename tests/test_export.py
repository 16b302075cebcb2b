"""Train a small model for one short epoch, export it, and check parity, metadata and the failure path."""

import json

import numpy as np
import pytest
from conftest import MODEL, run_cli
from PIL import Image

from digits.errors import ModelError
from digits.inference import Classifier
from digits.preprocess import preprocess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = run_cli("train", "--data", data_dir / "mnist", "--epochs", "1", "--limit", "3000", "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_train_writes_model_history_and_curves(trained):
    out, result = trained
    history = json.loads((out / "history.json").read_text())
    assert history["config"]["epochs"] == 1 and history["config"]["train_limit"] == 3000
    assert history["best_epoch"] == 1 and len(history["history"]["val_accuracy"]) == 1
    assert history["train_images_sha256"].startswith("ba891046")
    assert (out / "digits.keras").stat().st_size > 100_000
    with Image.open(out / "training_curves.png") as png:
        assert png.width > 500
    assert "epoch  1" in result.stderr and "best epoch 1" in result.stderr


def test_export_matches_keras_and_records_the_model_card(trained, data_dir):
    out, _ = trained
    onnx_path = out / "small.onnx"
    result = run_cli("export", "--keras", out / "digits.keras", "--out", onnx_path, "--data", data_dir, "--no-gate")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "parity on 1000 images" in " ".join(result.stderr.split())
    assert not Classifier(onnx_path).rejects  # the readers alone
    meta = Classifier(onnx_path).metadata
    assert float(meta["parity_max_abs_diff"]) <= 1e-4
    assert meta["weights"].startswith("int8") and int(meta["int8_changes"].split("/")[0]) <= 5  # of 1000
    assert float(meta["int8_max_abs_diff"]) <= 0.05
    # 24 steps leave BatchNorm's running statistics near their start: the numbers are real, not good
    assert 0 <= float(meta["mnist_test_accuracy"]) <= 1 and 0 <= float(meta["semeion_accuracy"]) <= 1
    assert meta["members"] == "1" and json.loads(meta["training_config"])[0]["train_limit"] == 3000
    assert meta["opset"] == "17" and meta["train_labels_sha256"].startswith("65a50cbb")
    assert onnx_path.stat().st_size < 0.5e6  # int8 weights: about a quarter of float32's


def test_export_averages_several_models_into_one_graph(trained, data_dir, tmp_path, mnist_test):
    import keras

    from digits.training import export as to_onnx

    out, _ = trained
    pairs = tmp_path / "pairs"
    result = run_cli("train", "--data", data_dir / "mnist", "--epochs", "1", "--limit", "3000", "--out", pairs,
                     "--pair-fraction", "0.05")
    assert result.returncode == 0, result.stderr[-3000:]
    onnx_path = tmp_path / "mean.onnx"
    members = [out / "digits.keras", pairs / "digits.keras"]
    result = run_cli("export", "--keras", members[0], "--keras", members[1], "--out", onnx_path, "--data", data_dir,
                     "--float32", "--no-gate")
    assert result.returncode == 0, result.stderr[-3000:]
    meta = Classifier(onnx_path).metadata
    assert meta["members"] == "2" and meta["best_epoch"] == "1, 1"
    assert [c["pair_fraction"] for c in json.loads(meta["training_config"])] == [0.0, 0.05]
    inputs = np.random.default_rng(0).random((32, 28, 28, 1), dtype=np.float32)
    mean = np.mean([keras.saving.load_model(m, compile=False).predict(inputs, verbose=0) for m in members], axis=0)
    assert np.abs(Classifier(onnx_path).probabilities(inputs) - mean).max() < 1e-4
    # quantised, the heads and their mean stay float32: probabilities not in uint8's 256 steps
    digits = np.stack([preprocess(image).image for image in mnist_test.images[:300]])[..., None]
    int8_path = tmp_path / "mean_int8.onnx"
    to_onnx._quantise(onnx_path, int8_path, digits[:64])
    assert len(np.unique(Classifier(int8_path).probabilities(digits))) > 256


def test_export_float32_keeps_float_weights(trained, data_dir, tmp_path):
    out, _ = trained
    onnx_path = tmp_path / "f32.onnx"
    result = run_cli("export", "--keras", out / "digits.keras", "--out", onnx_path, "--data", data_dir, "--float32",
                     "--no-gate")
    assert result.returncode == 0, result.stderr[-3000:]
    meta = Classifier(onnx_path).metadata
    assert meta["weights"] == "float32" and meta["int8_changes"] == meta["int8_max_abs_diff"] == ""
    assert onnx_path.stat().st_size > 1e6


def test_export_fails_loudly_and_writes_nothing_when_parity_fails(trained, data_dir, monkeypatch):
    import keras

    from digits.training import export as to_onnx

    out, _ = trained
    model = keras.saving.load_model(out / "digits.keras", compile=False)
    inputs = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
    with pytest.raises(ModelError, match="parity failed"):
        to_onnx._parity(model, MODEL, inputs)  # another model: predictions differ

    monkeypatch.setattr(to_onnx, "PARITY_TOLERANCE", 0.0)  # float noise alone now fails the check
    target = out / "never.onnx"
    with pytest.raises(ModelError, match="the ONNX file was not written"):
        to_onnx.export_onnx([out / "digits.keras"], target, None if data_dir is None else data_dir)
    assert not target.exists() and not list(out.glob(".never.onnx*"))

    monkeypatch.setattr(to_onnx, "PARITY_TOLERANCE", 1e-4)
    monkeypatch.setattr(to_onnx, "MAX_INT8_CHANGES", -1.0)  # now int8 fails its check, even with no change
    with pytest.raises(ModelError, match="int8 parity failed.*not written.*--float32"):
        to_onnx.export_onnx([out / "digits.keras"], target, None if data_dir is None else data_dir)
    assert not target.exists() and not list(out.glob(".never.onnx*"))


def test_touching_pairs_are_two_digits_framed_as_one(mnist_test):
    from digits.config import Config
    from digits.training.augment import touching_pairs

    ones = mnist_test.images[mnist_test.labels == 1][:40]
    pairs = touching_pairs(ones.astype(np.float32) / 255, Config(pair_fraction=0.5), np.random.default_rng(0))
    assert pairs.shape == (20, 28, 28) and pairs.dtype == np.float32 and 0 <= pairs.min() <= pairs.max() <= 1
    width = lambda x: np.ptp(np.flatnonzero(x.max(axis=0) > 0.1)) + 1  # noqa: E731
    # two 1s side by side, their shape kept: far wider in the frame than one 1 framed alone
    assert np.median([width(p) for p in pairs]) > 1.5 * np.median([width(preprocess(o).image) for o in ones])


def test_pressure_fades_strokes_unevenly_and_only_when_asked(mnist_test):
    import tensorflow as tf

    from digits.config import Config
    from digits.training.augment import random_pressure

    digits = tf.constant(mnist_test.images[:64, ..., None].astype(np.float32) / 255)
    faded = random_pressure(digits, Config(pressure_prob=1.0)).numpy()
    ink = digits.numpy() > 0.5
    ratio = faded[ink] / digits.numpy()[ink]
    assert ratio.min() >= 0.35 - 1e-6 and ratio.max() <= 1 + 1e-6 and ratio.std() > 0.05  # uneven, never erased
    assert (faded[~(digits.numpy() > 0)] == 0).all()  # no ink where there was none
    assert np.array_equal(random_pressure(digits, Config(pressure_prob=0.0)).numpy(), digits.numpy())


def test_export_without_a_keras_model_names_the_fix(tmp_path):
    result = run_cli("export", "--keras", tmp_path / "none.keras", "--out", tmp_path / "x.onnx")
    assert result.returncode == 1 and "run `digits train`" in result.stderr


def test_a_gate_trained_apart_goes_beside_the_shipped_readers_without_changing_them(data_dir, tmp_path, mnist_test):
    gate = tmp_path / "gate"
    result = run_cli("train-gate", "--data", data_dir, "--epochs", "1", "--limit", "1600", "--out", gate)
    assert result.returncode == 0, result.stderr[-3000:]
    history = json.loads((gate / "history.json").read_text())
    assert history["config"]["gate_epochs"] == 1 and len(history["families"]) == 16 and history["non_digits"] == 3200
    onnx_path = tmp_path / "gated.onnx"
    result = run_cli("export", "--readers", MODEL, "--gate", gate / "gate.keras", "--out", onnx_path, "--data",
                     data_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    said = " ".join(result.stderr.split())
    assert "likeliest digit unchanged on 2,593 of 2,593 digits" in said and "with the gate" in said
    gated, shipped = Classifier(onnx_path), Classifier(MODEL)
    assert gated.rejects and gated.metadata["gate_keras_sha256"] and gated.metadata["not_digit_threshold"] == "0.9"
    assert gated.metadata["gate_shift"] == "-6.0"
    assert len(json.loads(gated.metadata["gate_families"])) == 16
    digits = np.stack([preprocess(image).image for image in mnist_test.images[:500]])[..., None]
    assert (gated.probabilities(digits).argmax(1) == shipped.probabilities(digits).argmax(1)).all()
    # the readers' part of the graph is the shipped one, weight for weight
    import onnx
    from onnx import numpy_helper

    from digits.training.export_gate import readers_of

    weights = lambda path: {t.name: numpy_helper.to_array(t).tobytes()  # noqa: E731
                            for t in readers_of(onnx.load(path)).graph.initializer}
    assert weights(onnx_path) == weights(MODEL)
    missing = run_cli("export", "--readers", MODEL, "--gate", tmp_path / "none.keras", "--out", tmp_path / "x.onnx")
    assert missing.returncode == 1 and "run `digits train-gate`" in missing.stderr
    assert not (tmp_path / "x.onnx").exists()
