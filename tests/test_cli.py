"""The commands in a subprocess: predict (table and JSON), info, evaluate, errors, and no TensorFlow on the way."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODEL, ROOT, on_paper, run_cli
from PIL import Image

HEAVY = ("tensorflow", "keras", "tf2onnx", "gradio", "pydantic")  # gradio: the page only, never the CLI's start-up;
# pydantic: Typer 0.29+ coerces every option through it (0.1 s per start), hence the pin in pyproject.toml


@pytest.fixture(scope="module")
def scans(mnist_test, tmp_path_factory):
    """Five MNIST test digits as dark-on-light files of several formats and sizes, one blank, one broken."""
    folder = tmp_path_factory.mktemp("scans")
    files = []
    for i, (fmt, scale) in enumerate([("png", 3), ("jpg", 4), ("bmp", 2), ("webp", 5), ("tif", 1)]):
        path = folder / f"digit {i}.{fmt}"
        Image.fromarray(on_paper(mnist_test.images[i], (160, 150), (20, 10), scale)).save(path)
        files.append(path)
    Image.new("L", (64, 64), 255).save(folder / "blank.png")
    (folder / "broken.png").write_bytes(b"this is text, not a PNG")
    return files, folder / "blank.png", folder / "broken.png", [int(d) for d in mnist_test.labels[:5]]


def test_predict_json_gives_path_prediction_confidence_probabilities(scans):
    files, blank, _, labels = scans
    result = run_cli("predict", *files, blank, "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["path"] for r in records] == [str(p) for p in [*files, blank]]
    assert [r["prediction"] for r in records[:5]] == labels
    for r in records[:5]:
        assert r["status"] == "ok" and 0.5 < r["confidence"] <= 1.0
        assert len(r["probabilities"]) == 10 and abs(sum(r["probabilities"]) - 1) < 1e-4
        assert r["confidence"] == max(r["probabilities"])
    assert records[5] == {**records[5], "status": "blank", "prediction": None, "confidence": None}


def test_predict_table_and_an_unreadable_file(scans):
    files, _, broken, labels = scans
    result = run_cli("predict", files[0], broken, env={**os.environ, "COLUMNS": "250"})  # no wrapping
    assert result.returncode == 3  # some images could not be read
    assert "digit 0.png" in result.stdout and "broken.png" in result.stdout
    assert "not an image" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "digit 0.png" in line)
    assert f"│ {labels[0]} " in row and "%" in row
    assert "Traceback" not in result.stderr


def test_missing_model_is_one_line_and_exit_1(scans, tmp_path):
    result = run_cli("predict", scans[0][0], "--model", tmp_path / "none.onnx")
    assert result.returncode == 1
    assert "model not found; run `digits export` or pass --model" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2


def test_usage_error_is_exit_2():
    result = run_cli("predict")
    assert result.returncode == 2 and "Missing argument" in result.stderr


def test_info_shows_hash_and_metadata():
    import hashlib

    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert hashlib.sha256(MODEL.read_bytes()).hexdigest()[:40] in text.replace(" ", "")
    for key in ("mnist_test_accuracy", "semeion_accuracy", "train_images_sha256", "contract", "opset"):
        assert key in text


def test_evaluate_reports_both_sets_and_writes_plots(data_dir, tmp_path):
    result = run_cli("evaluate", "--data", data_dir, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MNIST test: accuracy" in result.stdout and "Semeion: accuracy" in result.stdout
    for name in ("confusion_mnist", "mistakes_mnist", "confusion_semeion", "mistakes_semeion"):
        with Image.open(tmp_path / f"{name}.png") as png:
            assert png.width > 300


def test_evaluate_with_a_wrong_data_folder_is_one_line(tmp_path):
    result = run_cli("evaluate", "--data", tmp_path)
    assert result.returncode == 1 and "MNIST" in result.stderr and "Traceback" not in result.stderr


def test_inference_path_never_imports_tensorflow(scans):
    """`cli.py predict` and the library's inference modules import nothing from digits.training, nor TensorFlow."""
    files = scans[0]
    for launcher in ([str(ROOT / "cli.py")], ["-m", "digits"]):
        traced = subprocess.run(
            [sys.executable, "-X", "importtime", *launcher, "predict", str(files[0]), "--json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
        assert traced.returncode == 0, traced.stderr[-2000:]
        modules = {line.split("|")[-1].strip() for line in traced.stderr.splitlines() if "|" in line}
        imported = {m.split(".")[0] for m in modules}
        assert "onnxruntime" in imported and not imported & set(HEAVY), launcher
        assert not [m for m in modules if m.startswith("digits.training")], launcher

    code = (  # the inference modules (the page needs gradio: tests/test_page.py), then evaluation, also without TF
        "import sys, numpy as np\n"
        "from digits import contract, images, inference, numbers, output, preprocess, reader, results, segment\n"
        "from digits.config import Config\n"
        "from digits.engines.local import classify_files\n"
        "from digits.walk import find_images\n"
        f"list(classify_files(find_images([{str(files[0])!r}]), inference.Classifier(), Config(), "
        "reader.reader_for(Config())))\n"
        "inference.Classifier().predict([np.zeros((28, 28), np.uint8)])\n"
        "print(sorted(m for m in sys.modules if m.startswith('digits.training')))\n"
        "from digits.training.evaluate import evaluate\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    library = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert library.returncode == 0, library.stderr
    assert library.stdout.split() == ["[]", "[]"]


def test_console_script_runs_the_same_app():
    script = Path(sys.executable).with_name("digits")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("batch", "predict", "evaluate", "train", "export", "info", "app"):
        assert command in result.stdout
