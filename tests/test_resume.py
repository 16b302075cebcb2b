"""`batch --resume`: runs killed outright (SIGKILL) at random points finish to the bytes of an uninterrupted run.

Everything here is the real CLI in a subprocess on real scans; the Ray engine's kills are in tests/test_ray.py.
"""

import json
import random
import shutil
import signal
import sys
import time

import pytest
from conftest import MODEL, ROOT, run_cli, start_cli

FORMATS = ("csv", "jsonl", "parquet")


def journal_rows(journal) -> int:
    """Whole rows in a journal (its first line is the header); 0 when there is none."""
    try:
        return max(0, journal.read_bytes().count(b"\n") - 1)
    except FileNotFoundError:
        return 0


def kill_at(args: list, journal, rows: int, sig=signal.SIGKILL, timeout: float = 120) -> None:
    """Start `batch ARGS`, and kill it once its journal holds `rows` rows."""
    process = start_cli("batch", *args)
    deadline = time.monotonic() + timeout
    while journal_rows(journal) < rows:
        assert process.poll() is None, "the run ended before it could be killed: " + process.stderr.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(sig)
    process.communicate(timeout=60)


@pytest.mark.parametrize("fmt", FORMATS)
def test_runs_killed_at_random_points_resume_to_the_same_bytes(many, tmp_path, fmt):
    whole = tmp_path / f"whole.{fmt}"
    assert run_cli("batch", many, "--out", whole, "-q").returncode == 0
    out = tmp_path / f"preds.{fmt}"
    journal = tmp_path / f"preds.{fmt}.journal"
    points = sorted(random.Random(fmt).sample(range(1, 1300), 2))
    for rows in points:
        kill_at([many, "--out", out, "--resume", "-q"], journal, rows)  # --resume with no journal yet: a new run
        assert not out.exists() and journal_rows(journal) >= rows, "a killed run leaves its journal, no output"
    done = run_cli("batch", many, "--out", out, "--resume")
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes() == whole.read_bytes()
    assert "rows resumed from the journal" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(  # the journal gone, each run's record beside it
        [whole.name, out.name, f"{whole.name}.manifest.json", f"{out.name}.manifest.json"])
    record = json.loads((tmp_path / f"{out.name}.manifest.json").read_text())
    assert record["rows"] == 1500 and record["resumed_rows"] >= points[-1] and record["format"] == fmt
    assert record["inputs"] == [str(many)] and len(record["model_sha256"]) == 64
    assert record["started"] <= record["ended"]


def test_a_row_cut_short_by_the_kill_is_read_again(many, tmp_path):
    whole, out, journal = tmp_path / "whole.csv", tmp_path / "preds.csv", tmp_path / "preds.csv.journal"
    assert run_cli("batch", many, "--out", whole, "-q").returncode == 0
    kill_at([many, "--out", out, "-q"], journal, 300)
    with open(journal, "r+b") as f:  # as if the kill came in the middle of writing a row
        f.truncate(journal.stat().st_size - 7)
    done = run_cli("batch", many, "--out", out, "--resume", "-q")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == whole.read_bytes()


@pytest.fixture
def stopped(many, tmp_path):
    """(scans, output, journal): a copy of the scans and a run of them stopped by Ctrl-C half way."""
    scans = tmp_path / "scans"
    shutil.copytree(many, scans)
    out, journal = tmp_path / "preds.csv", tmp_path / "preds.csv.journal"
    kill_at([scans, "--out", out], journal, 100, sig=signal.SIGINT)
    assert journal.exists() and not out.exists()
    return scans, out, journal


def other_model(tmp_path):
    """The shipped model with one more metadata entry: another file, same contract."""
    import onnx

    model = onnx.load(MODEL)
    entry = model.metadata_props.add()
    entry.key, entry.value = "note", "another model"
    path = tmp_path / "other.onnx"
    onnx.save(model, path)
    return path


def test_resume_is_refused_for_another_model_input_or_options(stopped, many, tmp_path):
    scans, out, journal = stopped
    before = journal.read_bytes()
    again = run_cli("batch", scans, "--out", out)
    assert again.returncode == 1 and f"{journal} holds the rows of a run that stopped" in again.stderr
    cases = {
        "another model": ["--model", other_model(tmp_path)],
        "other inputs": [],  # the original folder instead of the copy
        "other options (reader, thresholds)": ["--numbers"],
        "other options (paper_lines)": ["--paper-lines"],
    }
    for said, extra in cases.items():
        inputs = many if said == "other inputs" else scans
        refused = run_cli("batch", inputs, "--out", out, "--resume", *extra)
        assert refused.returncode == 1, refused.stderr
        assert f"{journal} was written for {said}" in refused.stderr and refused.stderr.count("\n") == 1
    (scans / "0001.png").unlink()  # a file the journal holds is gone: its rows no longer match the folder
    changed = run_cli("batch", scans, "--out", out, "--resume")
    assert changed.returncode == 1 and "the inputs changed since it was written" in changed.stderr
    assert journal.read_bytes() == before and not out.exists()  # a refusal changes nothing


def test_resume_to_stdout_is_a_usage_error():
    result = run_cli("batch", ROOT / "examples" / "scans", "--resume")
    assert result.returncode == 2 and "--resume" in result.stderr


def test_a_run_that_reads_nothing_leaves_no_journal(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("batch", tmp_path / "empty", "--out", tmp_path / "preds.csv")
    assert result.returncode == 1 and "no image files found" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]


def test_a_bug_in_the_preprocessing_stops_the_run_instead_of_becoming_rows(many, tmp_path):
    """A bug planted in the preprocessing: exit 4 with one line, no output, no `cannot decode` rows."""
    code = ("import sys, digits.reader as r\n"
            "def broken(image, paper_lines=False):\n"
            "    raise ZeroDivisionError('planted')\n"
            "r.preprocess = broken\n"
            "from digits.cli import app\n"
            "sys.argv = ['digits', *sys.argv[1:]]\n"
            "app()\n")
    import subprocess

    out = tmp_path / "preds.csv"
    result = subprocess.run([sys.executable, "-c", code, "batch", str(many), "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 4, result.stderr[-2000:]
    assert "a bug stopped the run (ZeroDivisionError: planted)" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_without_the_journal_an_interrupted_run_promises_no_resume(many, tmp_path):
    out = tmp_path / "preds.csv"
    process = start_cli("batch", many, "--out", out, "--no-journal")
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") and p.stat().st_size > 1000 for p in tmp_path.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and stderr.strip() == f"interrupted; {out} left as it was"
    assert list(tmp_path.iterdir()) == []
