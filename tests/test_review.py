"""`digits review` without a browser: the CSVs it refuses, the reviewed CSV and --apply, the audit's figures, the
images it will not show. The page itself, driven by the keyboard, is in test_review_page.py."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import on_paper, run_cli
from PIL import Image

from digits.config import Config
from digits.decisions import Journal
from digits.errors import ImageError
from digits.review import FLAGGED, NOT_A_DIGIT, read_review, wilson
from digits.review_images import Images, images_for

SCANS = 48


def make_run(mnist_test, root: Path, min_confidence: str = "0.9999") -> tuple[Path, dict[str, str]]:
    """A real `batch` run over SCANS MNIST test scans (named by their digit) and a corrupt file; returns the CSV and
    the true digit of each file."""
    scans = root / "scans"
    scans.mkdir(parents=True)
    truth = {}
    for i in range(SCANS):
        name = f"{i:03d}.png"
        Image.fromarray(on_paper(mnist_test.images[i], (120, 110), (15, 10), 3)).save(scans / name)
        truth[name] = str(mnist_test.labels[i])
    (scans / "zz_corrupt.png").write_bytes(b"\x89PNG not really")
    preds = root / "preds.csv"
    done = run_cli("batch", scans, "--out", preds, "--min-confidence", min_confidence, "-q")
    assert done.returncode == 3, done.stderr  # the corrupt file: an error row
    return preds, truth


@pytest.fixture(scope="module")
def batch_run(mnist_test, tmp_path_factory):
    return make_run(mnist_test, tmp_path_factory.mktemp("review"))


def copy_of(preds: Path, folder: Path) -> Path:
    """The CSV and its run's record in a folder of their own (a review writes its journal beside the CSV)."""
    for name in (preds.name, preds.name + ".manifest.json"):
        shutil.copy(preds.with_name(name), folder / name)
    return folder / preds.name


def rows_of(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def one_line_error(done, code: int, says: str) -> None:
    assert done.returncode == code, done.stderr
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_csvs_that_are_not_a_batch_output_are_refused_in_one_line(batch_run, tmp_path):
    preds, _ = batch_run
    (tmp_path / "empty.csv").write_text("")
    one_line_error(run_cli("review", tmp_path / "empty.csv"), 1, "is empty")
    (tmp_path / "header.csv").write_text("path,prediction,confidence,status,error\r\n")
    one_line_error(run_cli("review", tmp_path / "header.csv"), 1, "has a header and no rows")
    (tmp_path / "other.csv").write_text("name,value\na,1\n")
    one_line_error(run_cli("review", tmp_path / "other.csv"), 1, "was not written by `digits batch`")
    edited = tmp_path / "edited.csv"
    edited.write_text(preds.read_text().replace(",ok,", ",fine,", 1))
    one_line_error(run_cli("review", edited), 1, "status 'fine' is not one of")
    one_line_error(run_cli("review", tmp_path / "missing.csv"), 1, "cannot read")
    one_line_error(run_cli("review", tmp_path / "preds.jsonl"), 1, "review reads the CSV")
    assert run_cli("review", preds, "--only", "ok,maybe").returncode == 2
    assert run_cli("review", preds, "--out", preds).returncode == 2  # the batch CSV is never written over
    assert run_cli("review", preds, "--out", tmp_path / "nowhere" / "r.csv").returncode == 2

    reviewed = copy_of(preds, tmp_path)
    journal_of = Path(str(reviewed) + ".review")
    one_line_error(run_cli("review", reviewed, "--apply"), 1, "no decisions")
    done = run_cli("review", reviewed, "--only", "blank")  # no blank rows: nothing to review, nothing left behind
    one_line_error(done, 0, "nothing to review")
    assert not journal_of.exists()
    _, header, _ = read_review(reviewed)
    Journal(reviewed, header).close()
    done = run_cli("review", reviewed, "--apply")
    one_line_error(done, 1, "no decisions")
    one_line_error(run_cli("review", Path(str(reviewed).replace(".csv", ".reviewed.csv"))), 1, "cannot read")


def test_decisions_make_the_reviewed_csv_and_the_audit_measures_the_ok_rows(batch_run, tmp_path):
    """Every flagged row answered by its true digit, every ok row audited; four ok rows the person knows are wrong
    (their scans were mislabelled: the key says otherwise) are changed. The audit finds exactly those four."""
    preds, truth = batch_run
    preds = copy_of(preds, tmp_path)
    before = hashlib.sha256(preds.read_bytes()).hexdigest()
    oks = [r["path"] for r in rows_of(preds) if r["status"] == "ok"]
    wrong = {name: str((int(truth[name]) + 1) % 10) for name in oks[:4]}
    batch, header, decisions = read_review(preds, FLAGGED, sample_ok=len(oks) + 5, seed=3)
    assert not decisions and {i.values["path"] for i in batch.queue if i.audit} == set(oks)
    journal = Journal(preds, header)
    answers = {}
    for item in batch.queue:
        name = item.values["path"]
        answers[name] = wrong.get(name) or truth.get(name, NOT_A_DIGIT)  # the corrupt file: not a digit
        journal.decide(item.index, name, answers[name])
    journal.close()

    done = run_cli("review", preds, "--apply")
    assert done.returncode == 0, done.stderr
    low, high = wilson(4, len(oks))
    assert f"{4 / len(oks):.1%} (95% interval {low:.1%} to {high:.1%})" in done.stderr
    assert hashlib.sha256(preds.read_bytes()).hexdigest() == before  # the batch CSV as it was
    reviewed = rows_of(tmp_path / "preds.reviewed.csv")
    original = rows_of(preds)
    assert [r["path"] for r in reviewed] == [r["path"] for r in original]
    assert list(reviewed[0]) == list(original[0]) + ["model_prediction", "reviewed_by"]
    for row, was in zip(reviewed, original, strict=True):
        assert row["model_prediction"] == was["prediction"] and row["reviewed_by"] == "person"
        said = answers[row["path"]]
        assert (row["status"], row["prediction"]) == (("not_digit", "") if said == NOT_A_DIGIT else ("reviewed", said))
    assert next(r for r in reviewed if r["path"] == "zz_corrupt.png")["error"]  # the batch's message kept

    # a review that began with an audit goes on with it; another size is refused, and so is a changed CSV
    one_line_error(run_cli("review", preds, "--apply", "--sample-ok", "3"), 1, "began with --sample-ok")
    preds.write_text(preds.read_text() + "extra.png,1,0.99,ok,\r\n")
    one_line_error(run_cli("review", preds, "--apply"), 1, "changed since its review began")


def test_wilson_interval():
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(0, 50)
    assert low == 0.0 and 0.07 < high < 0.072  # the rule of three's neighbour: 3/50 = 0.06
    low, high = wilson(5, 100)
    assert round(low, 4) == 0.0215 and round(high, 4) == 0.1118


def test_a_killed_review_keeps_every_whole_decision(batch_run, tmp_path):
    """A line cut by a kill is dropped, the next decision starts on its own line; a second review is refused."""
    preds = copy_of(batch_run[0], tmp_path)
    batch, header, _ = read_review(preds)
    journal = Journal(preds, header)
    journal.decide(batch.queue[0].index, batch.queue[0].values["path"], "3")
    one_line_error(run_cli("review", preds), 1, "is being reviewed already")
    journal.close()
    with open(str(preds) + ".review", "a") as f:
        f.write('{"row": 9, "path": "cut')  # what a kill in the middle of a write leaves
    batch, header, decisions = read_review(preds)
    assert decisions == {batch.queue[0].index: "3"}
    journal = Journal(preds, header)
    journal.decide(batch.queue[1].index, batch.queue[1].values["path"], "x")
    journal.close()
    assert read_review(preds)[2] == {batch.queue[0].index: "3", batch.queue[1].index: "x"}


def test_only_files_inside_the_images_folder_are_opened(batch_run, tmp_path):
    preds, _ = batch_run
    scans = preds.parent / "scans"
    images = images_for(preds, None)  # from the run's record: the folder it read
    assert images.roots == (str(scans.resolve()) + "/",)
    assert images.open("000.png", Config()).size == (120, 110)
    secret = tmp_path / "secret.png"
    shutil.copy(scans / "000.png", secret)
    inside = tmp_path / "inside"
    inside.mkdir()
    shutil.copy(scans / "001.png", inside / "real.png")
    (inside / "out.png").symlink_to(secret)  # a link out
    (inside / "in.png").symlink_to(inside / "real.png")  # a link that stays inside: fine
    given = images_for(preds, str(inside))
    for name in ("../secret.png", str(secret), "out.png", "sub/../../secret.png", "/etc/passwd"):
        with pytest.raises(ImageError, match="refused"):
            given.open(name, Config())
    with pytest.raises(ImageError, match="refused"):
        images.open("../../" + str(secret), Config())
    assert given.open("in.png", Config()).size == (120, 110)
    assert given.locate("sub/../nothing.png") == str(inside.resolve() / "nothing.png")
    with pytest.raises(ImageError, match="file not found"):
        given.open("nothing.png", Config())
    pages = [Image.new("L", (100 * (n + 1), 100), 255) for n in range(3)]  # a document's rows name their page
    pages[0].save(inside / "doc.pdf", save_all=True, append_images=pages[1:], resolution=100)
    assert given.open("doc.pdf#page=2", Config()).size == (200, 100)  # a page that is one scan: the scan's pixels
    with pytest.raises(ImageError, match="no page 5: the PDF has 3"):
        given.open("doc.pdf#page=5", Config())

    remote = Images("s3://bucket/scans/", ("s3://bucket/scans/",))
    assert remote.locate("a/b.png") == "s3://bucket/scans/a/b.png"
    for name in ("../x.png", "a/../../x.png", "s3://other/x.png", "s3://bucket/scans-2/x.png"):
        with pytest.raises(ImageError, match="refused"):
            remote.locate(name)


def test_images_without_a_record_need_the_folder(batch_run, tmp_path):
    preds = tmp_path / "preds.csv"
    shutil.copy(batch_run[0], preds)
    one_line_error(run_cli("review", preds, "--port", "1"), 1, "give --images FOLDER")
    one_line_error(run_cli("review", preds, "--images", tmp_path / "nowhere", "--port", "1"), 1, "no such folder")


def test_a_port_in_use_is_said_in_one_line(batch_run, tmp_path):
    import socket

    preds = copy_of(batch_run[0], tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        one_line_error(run_cli("review", preds, "--port", taken.getsockname()[1]), 1, "pass another --port")
