"""`cli.py batch` in a subprocess on folders mixing good scans and hostile files."""

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ODD_NAMES, ROOT, run_cli, scan, start_cli, wait_for_rows

COLUMNS = ["path", "prediction", "confidence", "status", "error"]


def read_csv(text: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def batch_run(folder, tmp_path_factory):
    root, _ = folder
    out = tmp_path_factory.mktemp("out") / "preds.csv"
    result = run_cli("batch", root, "--out", out)
    return result, read_csv(out.read_text(encoding="utf-8")), out


def test_every_image_file_gets_one_row_in_stable_sorted_order(batch_run, folder):
    result, rows, _ = batch_run
    root, labels = folder
    paths = [r["path"] for r in rows]
    hostile = ["broken.png", "empty.png", "huge.png", "pipe.png", "text.jpg", "transparent.png", "truncated.png",
               "white.gif"]
    assert sorted(paths) == sorted([*labels, *(f"bad/{n}" for n in hostile)])
    assert paths == sorted(paths, key=lambda p: p.split("/"))  # depth-first, each folder in name order
    assert re.search(r"other files skipped\s*│\s*1\s", result.stderr)  # notes.txt
    assert "folder links already walked" in result.stderr  # good/loop -> the root


def test_odd_names_are_quoted_and_never_formulas(folder):
    root, labels = folder
    result = run_cli("batch", root / "odd")
    rows = read_csv(result.stdout)
    safe = {"=cmd.png": "./=cmd.png", "-minus.png": "./-minus.png"}
    assert sorted(r["path"] for r in rows) == sorted(safe.get(n, n) for n in ODD_NAMES)
    for row in rows:
        assert row["prediction"] == str(labels["odd/" + row["path"].removeprefix("./")])
    assert '"comma,name.png"' in result.stdout and '"quote""name.png"' in result.stdout


def test_good_scans_get_the_right_digit(batch_run, folder):
    _, rows, _ = batch_run
    _, labels = folder
    by_path = {r["path"].removeprefix("./"): r for r in rows}
    for path, label in labels.items():
        row = by_path[path]
        assert row["status"] in ("ok", "low_confidence"), row
        assert row["prediction"] == str(label), row
        assert 0 < float(row["confidence"]) <= 1


@pytest.mark.parametrize(
    "name, status, message",
    [
        ("empty.png", "error", "empty file"),
        ("truncated.png", "error", "truncated"),
        ("text.jpg", "error", "not an image"),
        ("huge.png", "error", "pixels"),
        ("broken.png", "error", "not found"),
        ("pipe.png", "error", "not a regular file"),
        ("transparent.png", "blank", ""),
        ("white.gif", "blank", ""),
        ("frames.gif", "ok", "first of 3 frames"),
        ("frames.tif#page=2", "ok", ""),  # a multi-page TIFF: each frame a page, a row
    ],
)
def test_hostile_files_get_their_own_row_and_message(batch_run, name, status, message):
    _, rows, _ = batch_run
    row = next(r for r in rows if r["path"] == f"bad/{name}")
    assert row["status"] in (status, "low_confidence" if status == "ok" else status)
    assert message in row["error"]
    if status != "ok":
        assert row["prediction"] == "" and row["confidence"] == ""


def test_exit_code_3_when_some_files_could_not_be_read(batch_run):
    result, _, _ = batch_run
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr


def test_clean_folder_exits_0_and_jsonl_has_the_same_records(folder, tmp_path):
    root, labels = folder
    out = tmp_path / "preds.jsonl"
    result = run_cli("batch", root / "good", "--out", out, "--probabilities", "--no-recursive")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["path"] for r in records] == [p.removeprefix("good/") for p in sorted(labels) if p.count("/") == 1
                                            and p.startswith("good/")]
    for r in records:
        assert list(r) == COLUMNS + [f"p{d}" for d in range(10)] + ["not_digit"]
        total = sum(r[f"p{d}"] for d in range(10)) + r["not_digit"]  # digits and "none" share the probability
        assert abs(total - 1) < 1e-3 and r["prediction"] == labels[f"good/{r['path']}"]


def test_out_dash_writes_csv_to_stdout_and_nothing_else(folder):
    root, _ = folder
    result = run_cli("batch", root / "good", "--out", "-", "--no-recursive")
    assert result.returncode == 0
    rows = read_csv(result.stdout)
    assert len(rows) == 12 and all(r["status"] in ("ok", "low_confidence") for r in rows)


def test_low_confidence_threshold_marks_rows_for_review(folder):
    root, _ = folder
    result = run_cli("batch", root / "good", "--min-confidence", "1.0", "--no-recursive", "-q")
    rows = read_csv(result.stdout)
    statuses = [r["status"] for r in rows]
    assert set(statuses) <= {"low_confidence", "ok"} and "low_confidence" in statuses
    assert result.stderr == ""  # --quiet: no summary


def test_fatal_errors_exit_1_without_touching_the_output(folder, tmp_path):
    root, _ = folder
    out = tmp_path / "preds.csv"
    out.write_text("earlier results\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, message in [
        ((empty, "--out", out), "no image files found"),
        ((root / "good", "--out", out, "--model", tmp_path / "none.onnx"), "model not found"),
        ((root / "good", "--out", tmp_path / "no-dir" / "p.csv"), "cannot write"),
    ]:
        result = run_cli("batch", *args)
        assert result.returncode == 1, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert out.read_text() == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "preds.csv"]


def test_usage_errors_exit_2(folder):
    root, _ = folder
    assert run_cli("batch").returncode == 2
    assert run_cli("batch", root, "--format", "xml").returncode == 2
    assert run_cli("batch", root, "--min-confidence", "2").returncode == 2


def test_pixel_limit_is_configurable(folder):
    root, _ = folder
    rows = read_csv(run_cli("batch", root / "good" / "00.png", "--max-pixels", "1000").stdout)
    assert rows[0]["status"] == "error" and "above the limit of 1,000" in rows[0]["error"]


def test_unreadable_file_and_folder(mnist_test, tmp_path):
    scan(mnist_test.images[0]).save(tmp_path / "a.png")
    scan(mnist_test.images[1]).save(tmp_path / "secret.png")
    (tmp_path / "secret.png").chmod(0o000)
    (tmp_path / "locked").mkdir(mode=0o000)
    command = [sys.executable, str(ROOT / "cli.py"), "batch", str(tmp_path)]
    if os.geteuid() == 0:  # root reads anything; without these two capabilities it obeys permissions
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    env = {**os.environ, "COLUMNS": "300"}  # the summary table unwrapped
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    rows = {r["path"]: r for r in read_csv(result.stdout)}
    assert result.returncode == 3, result.stderr
    assert rows["a.png"]["status"] == "ok" and "permission denied" in rows["secret.png"]["error"]
    assert "folders unreadable" in result.stderr and "locked" in result.stderr


def start_batch(scans: Path, out: Path) -> subprocess.Popen:
    """The CLI writing to `out`, returned once rows are streaming into its temporary file."""
    process = start_cli("batch", scans, "--out", out)
    wait_for_rows(process, out.parent)
    return process


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_the_earlier_file_and_no_partial_file(many, tmp_path, sig):
    out = tmp_path / "preds.csv"
    out.write_text("earlier results\n")
    process = start_batch(many, out)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip() == (f"interrupted; {out} left as it was, the rows so far kept: add --resume to finish"
                              )  # one line, no traceback
    assert out.read_text() == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv", "preds.csv.journal"]


def test_a_killed_run_leaves_the_earlier_file_and_the_next_run_clears_its_leftovers(many, tmp_path):
    out = tmp_path / "preds.csv"
    out.write_text("earlier results\n")
    process = start_batch(many, out)
    process.kill()  # SIGKILL: no chance to clean up
    process.communicate(timeout=60)
    assert out.read_text() == "earlier results\n"
    assert len(list(tmp_path.glob(".preds.csv.*.tmp"))) == 1  # what a hard kill leaves
    refused = run_cli("batch", many, "--out", out)  # the journal is never overwritten without a word
    assert refused.returncode == 1 and f"{out}.journal holds the rows of a run that stopped" in refused.stderr
    result = run_cli("batch", many, "--out", out, "--resume", "-q")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv", "preds.csv.manifest.json"]
    assert out.read_text().startswith("path,")


def test_the_readme_quick_start_reads_every_bundled_example(tmp_path):
    out = tmp_path / "preds.csv"
    result = run_cli("batch", ROOT / "examples" / "scans", "--out", out)
    assert result.returncode == 0, result.stderr
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert len(rows) == 30
    for row in rows:  # each file name starts with its true digit
        assert row["prediction"] == row["path"][0] and row["status"] == "ok", row
