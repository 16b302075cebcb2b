"""Not a digit: the gate beside the readers, through the real model, the real CLI, numbers and the threshold."""

import csv
import json

import numpy as np
import onnx
import pytest
from conftest import MODEL, number_with_marks, run_cli, scan

from bench.browser import LETTERS_AND_SHAPES
from bench.read_numbers import render_number
from digits.inference import Classifier
from digits.preprocess import preprocess
from digits.training.data import load_semeion
from digits.training.export_gate import readers_of
from digits.training.scanlike import render_scan
from digits.training.strokes import draw


def ink(strokes: list[list[tuple[float, float]]]) -> np.ndarray:
    """Strokes in a unit box (bench/browser.py's) drawn with a pen: (H, W) uint8 ink, 255 on 0."""
    return draw(([np.array(s) for s in strokes], []), pen=7)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mnist_test):
    """letters/: A, H, K, a smiley and a star drawn with a pen, as scans; digits/: six MNIST test digits as scans."""
    root = tmp_path_factory.mktemp("not-a-digit")
    (root / "letters").mkdir()
    (root / "digits").mkdir()
    for k, (name, strokes) in enumerate(LETTERS_AND_SHAPES.items()):
        render_scan(ink(strokes), np.random.default_rng(k)).save(root / "letters" / f"{name}.png")
    for i in range(6):
        scan(mnist_test.images[i]).save(root / "digits" / f"{mnist_test.labels[i]}_{i}.png")
    return root


@pytest.fixture(scope="module")
def old_model(tmp_path_factory):
    """The shipped readers alone: a model exported before the gate (outputs `probs` only)."""
    path = tmp_path_factory.mktemp("old") / "old.onnx"
    onnx.save(readers_of(onnx.load(MODEL)), path)
    return path


def rows_of(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_gate_never_changes_which_digit_is_likeliest(classifier, old_model, mnist_test, data_dir):
    """Every MNIST test and Semeion digit: the same argmax with and without the gate, scaled by 1 - not_digit."""
    images = [*mnist_test.images, *load_semeion(data_dir).images]
    seen = np.stack([preprocess(d).image for d in images])[..., None]
    probs, not_digit = classifier.scores(seen)
    alone = Classifier(old_model).probabilities(seen)
    assert (probs.argmax(axis=1) == alone.argmax(axis=1)).all()
    np.testing.assert_allclose(probs.sum(axis=1) + not_digit, 1.0, atol=1e-5)
    np.testing.assert_allclose(probs, alone * (1 - not_digit[:, None]), atol=1e-6)


def test_letters_and_shapes_are_not_digits_in_the_csv_and_digits_still_read(folder, tmp_path):
    out = tmp_path / "read.csv"
    run = run_cli("batch", folder, "--out", out, "--probabilities")
    assert run.returncode == 0, run.stderr
    rows = {row["path"]: row for row in rows_of(out)}
    letters = [row for path, row in rows.items() if path.startswith("letters/")]
    statuses = [row["status"] for row in letters]  # never a confident digit: not a digit, or flagged for review
    assert statuses.count("not_digit") >= 3 and set(statuses) <= {"not_digit", "low_confidence"}, statuses
    for row in letters:
        if row["status"] == "not_digit":
            assert row["prediction"] == row["confidence"] == ""
            assert row["error"].startswith("not a digit (") and "%); closest digit " in row["error"]
            assert float(row["not_digit"]) >= 0.5 and float(row["p0"]) < 0.5
    for path, row in rows.items():
        if path.startswith("digits/"):
            assert row["status"] == "ok" and row["prediction"] == path.split("/")[1][0], row
            assert float(row["not_digit"]) < 0.05
    assert "not_digit" in run.stderr  # the summary counts them


def test_jsonl_and_predict_json_carry_the_not_digit_probability(folder, tmp_path):
    out = tmp_path / "read.jsonl"
    assert run_cli("batch", folder / "letters", "--out", out, "--probabilities").returncode == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(set(row) >= {"p0", "p9", "not_digit"} for row in rows)
    star = next(row for row in rows if row["path"] == "star.png")
    assert star["status"] == "not_digit" and star["prediction"] is None and star["not_digit"] >= 0.5
    run = run_cli("predict", folder / "letters" / "star.png", folder / "digits" / "7_0.png", "--json")
    read = json.loads(run.stdout)
    assert [r["status"] for r in read] == ["not_digit", "ok"] and read[1]["prediction"] == 7
    assert read[0]["not_digit"] >= 0.5 > read[1]["not_digit"] and len(read[0]["probabilities"]) == 10
    table = run_cli("predict", folder / "letters" / "star.png")
    assert "not_digit" in table.stdout and "not a digit" in table.stdout and table.returncode == 0


def test_the_threshold_at_its_boundaries(folder, old_model, tmp_path):
    """0: every image is not a digit (its probability is never below 0); 1: the gate set aside, every image read
    as before the gate (as by the readers alone); above 1: refused."""
    out = tmp_path / "t0.csv"
    assert run_cli("batch", folder, "--out", out, "--not-digit-threshold", "0").returncode == 0
    assert {row["status"] for row in rows_of(out)} == {"not_digit"}
    aside, old = tmp_path / "t1.csv", tmp_path / "old.csv"
    run = run_cli("batch", folder, "--out", aside, "--not-digit-threshold", "1", "--probabilities")
    assert run.returncode == 0 and "has no not_digit output" not in run.stderr
    assert run_cli("batch", folder, "--out", old, "--model", old_model, "--probabilities").returncode == 0
    for a, b in zip(rows_of(aside), rows_of(old), strict=True):
        assert (a["path"], a["status"], a["prediction"], a["not_digit"]) == (b["path"], b["status"], b["prediction"],
                                                                             "")
        assert abs(float(a["confidence"]) - float(b["confidence"])) <= 2e-4
    refused = run_cli("batch", folder, "--not-digit-threshold", "1.5")
    assert refused.returncode == 2 and "--not-digit-threshold" in refused.stderr


def test_an_old_model_without_the_gate_still_reads_and_says_so_once(folder, old_model, tmp_path):
    out = tmp_path / "old.csv"
    run = run_cli("batch", folder, "--out", out, "--model", old_model, "--probabilities")
    assert run.returncode == 0 and run.stderr.count("has no not_digit output") == 1
    rows = rows_of(out)
    assert len(rows) == 11 and all(row["status"] != "not_digit" and row["not_digit"] == "" for row in rows)
    info = run_cli("info", "--model", old_model)
    assert "says not a digit" in info.stdout and "no (exported before the gate)" in " ".join(info.stdout.split())
    shipped = " ".join(run_cli("info").stdout.split())
    assert "probs, not_digit" in shipped and "says not a digit │ yes" in shipped


def test_marks_between_digits_are_left_out_of_numbers(mnist_test, tmp_path):
    """A dash and a letter one digit wide, each apart from the digits: left out, and the row says where."""
    number_with_marks(mnist_test, "4719", {1: "dash", 3: "t"}, 1).save(tmp_path / "a.png")
    number_with_marks(mnist_test, "812", {1: "dot", 2: "dash"}, 6).save(tmp_path / "b.png")  # the dot: a speck
    run = run_cli("predict", tmp_path / "a.png", tmp_path / "b.png", "--numbers", "--json")
    a, b = json.loads(run.stdout)
    assert (a["prediction"], b["prediction"]) == ("4719", "812"), (a, b)
    assert a["error"] == "left out 2 pieces that are not a digit (after digit 1, after digit 3)"
    assert b["error"] == "left out 1 piece that is not a digit (after digit 2)"
    assert b["confidence"] < np.prod(b["digit_confidences"])  # the chance that the dash is none counts too


def test_a_number_of_letters_only_is_never_a_confident_number(tmp_path):
    """Letters as wide as touching digits are cut and read, each piece scaled by its chance of being a digit: the
    number that comes out is flagged for review, never `ok`."""
    render_number([ink(LETTERS_AND_SHAPES[c]) for c in "AHK"], np.random.default_rng(3))[0].save(tmp_path / "ahk.png")
    (row,) = json.loads(run_cli("predict", tmp_path / "ahk.png", "--numbers", "--json").stdout)
    assert row["status"] in ("not_digit", "low_confidence") and (row["confidence"] or 0) < 0.5, row
