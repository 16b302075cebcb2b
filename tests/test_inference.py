"""The classifier on the real shipped model: its contract, batching, blank handling and clear errors."""

import numpy as np
import onnx
import pytest
from conftest import MODEL
from onnx import TensorProto, helper

from digits import contract
from digits.errors import ModelError
from digits.inference import Classifier
from digits.preprocess import preprocess


def test_the_shipped_model_follows_the_contract(classifier):
    (inp,), (out, not_digit) = classifier.session.get_inputs(), classifier.session.get_outputs()
    assert (inp.name, inp.type, inp.shape[1:]) == ("image", "tensor(float)", [28, 28, 1])
    assert (out.name, out.shape[1:], not_digit.name, not_digit.shape[1:]) == ("probs", [10], "not_digit", [1])
    assert classifier.rejects and classifier.metadata["contract"] == contract.describe(rejects=True)
    for key in ("mnist_test_accuracy", "semeion_accuracy", "contract", "train_images_sha256", "tf2onnx_version",
                "gate_keras_sha256", "gate_families", "not_digit_threshold"):
        assert classifier.metadata.get(key), key


def test_probabilities_are_a_softmax_per_image_whatever_the_batching(mnist_test):
    inputs = np.stack([preprocess(d).image for d in mnist_test.images[:300]])[..., None]
    whole, not_digit = Classifier(MODEL, batch=512).scores(inputs)
    chunked = Classifier(MODEL, batch=7).scores(inputs)
    assert whole.shape == (300, 10) and whole.dtype == np.float32 and not_digit.shape == (300,)
    np.testing.assert_allclose(whole.sum(axis=1) + not_digit, 1.0, atol=1e-5)
    np.testing.assert_allclose(whole, chunked[0], atol=1e-6)
    np.testing.assert_allclose(not_digit, chunked[1], atol=1e-6)
    assert Classifier(MODEL).probabilities(np.zeros((0, 28, 28, 1), np.float32)).shape == (0, 10)
    # int8 convolutions, float32 heads and mean: confidences keep full resolution (quantised: 1/255 steps)
    assert len(np.unique(whole.max(axis=1))) > 100


def test_wrong_input_shape_is_refused(classifier):
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        classifier.probabilities(np.zeros((2, 28, 28), np.float32))


def test_predict_reads_digits_and_reports_blanks(classifier, mnist_test):
    images = [*mnist_test.images[:20], np.full((50, 50), 255, np.uint8)]
    results = classifier.predict(images)
    assert [r.digit for r in results[:20]] == list(mnist_test.labels[:20])
    blank = results[20]
    assert blank.blank and blank.digit is None and blank.confidence == 0.0 and not blank.probabilities.any()
    top = results[0].top(3)
    assert top[0] == (results[0].digit, pytest.approx(results[0].confidence))
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_missing_model_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="model not found; run `digits export` or pass --model"):
        Classifier(tmp_path / "nope.onnx")


def test_corrupt_model_is_refused(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(MODEL.read_bytes()[:5000])
    with pytest.raises(ModelError, match="not a valid ONNX model"):
        Classifier(bad)


def test_model_with_another_contract_is_refused(tmp_path):
    x = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 784])
    y = helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 784])
    graph = helper.make_graph([helper.make_node("Identity", ["pixels"], ["probs"])], "other", [x], [y])
    path = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", contract.OPSET)]), path)
    with pytest.raises(ModelError, match="input is 'pixels'.*expected input 'image'"):
        Classifier(path)
