"""The package as users get it: a wheel built from the repo, installed into a fresh venv outside the checkout."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel of this checkout and what it depends on, nothing else."""
    tmp = tmp_path_factory.mktemp("package")
    built = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "wheel", ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "wheel").glob("digits-*.whl")
    assert run(sys.executable, "-m", "venv", tmp / "venv").returncode == 0
    installed = run(tmp / "venv" / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    assert installed.returncode == 0, installed.stderr
    return tmp / "venv"


def test_the_installed_command_reads_the_examples_from_another_folder(venv, tmp_path):
    batch = run(venv / "bin" / "digits", "batch", ROOT / "examples" / "scans", "--out", "preds.csv", cwd=tmp_path)
    assert batch.returncode == 0, batch.stderr
    with (tmp_path / "preds.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30 and all(r["prediction"] == r["path"][0] and r["status"] == "ok" for r in rows)
    info = run(venv / "bin" / "python", "-m", "digits", "info", cwd=tmp_path)
    assert info.returncode == 0 and "site-packages/digits/models/digits.onnx" in "".join(info.stdout.split())
    predict = run(venv / "bin" / "digits", "predict", ROOT / "examples" / "scans" / "7_1.webp", "--json", cwd=tmp_path)
    assert predict.returncode == 0 and '"prediction": 7' in predict.stdout


def test_the_model_can_be_overridden_by_the_environment_and_the_option(venv, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DIGITS_MODEL": str(tmp_path / "other.onnx")}
    by_env = run(venv / "bin" / "digits", "info", cwd=tmp_path, env=env)
    assert by_env.returncode == 1 and "other.onnx: model not found" in by_env.stderr
    by_option = run(venv / "bin" / "digits", "info", "--model", ROOT / "models" / "digits.onnx", cwd=tmp_path, env=env)
    assert by_option.returncode == 0, by_option.stderr


def test_site_packages_gets_only_digits_and_no_tensorflow(venv):
    (record,) = venv.glob("lib/python3*/site-packages/digits-*.dist-info/RECORD")
    with record.open(newline="") as f:
        files = {row[0] for row in csv.reader(f)}
    tops = {name.split("/")[0] for name in files}
    assert {t for t in tops if not t.startswith("..")} == {"digits", record.parent.name}  # ../../../bin/digits
    assert {"digits/page.js", "digits/page.css", "digits/models/digits.onnx"} <= files  # what the page needs
    has_tf = run(venv / "bin" / "python", "-c", "import importlib.util as u; print(u.find_spec('tensorflow'))")
    assert has_tf.stdout.strip() == "None"


def test_without_the_ray_extra_the_ray_engine_says_how_to_install_it(venv, tmp_path):
    result = run(venv / "bin" / "digits", "batch", ROOT / "examples" / "scans", "--engine", "ray", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --engine ray needs Ray: pip install 'digits[ray]'"  # [ray] kept, not markup
    uri = run(venv / "bin" / "digits", "batch", "s3://bucket/scans", cwd=tmp_path)
    assert uri.returncode == 1 and "reading URIs needs pyarrow" in uri.stderr and "Traceback" not in uri.stderr


def test_without_pyarrow_parquet_says_how_to_install_it_and_leaves_nothing(venv, tmp_path):
    result = run(venv / "bin" / "digits", "batch", ROOT / "examples" / "scans", "--out", "preds.parquet",
                 cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --out *.parquet needs pyarrow: pip install 'digits[parquet]'"
    assert list(tmp_path.iterdir()) == []  # no output, no journal


def test_without_the_documents_extra_a_pdf_or_heic_says_how_to_install_it(venv, tmp_path):
    from PIL import Image

    from digits.documents import register_heif

    register_heif()
    Image.new("L", (200, 100), 255).save(tmp_path / "form.pdf")
    Image.new("RGB", (200, 100), "white").save(tmp_path / "photo.heic")
    done = run(venv / "bin" / "digits", "batch", tmp_path, "--out", "-", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    rows = list(csv.DictReader(done.stdout.splitlines()))
    assert [(r["path"], r["status"]) for r in rows] == [("form.pdf", "error"), ("photo.heic", "error")]
    assert all("pip install 'digits[documents]'" in r["error"] for r in rows)
