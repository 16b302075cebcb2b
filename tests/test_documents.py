"""Documents as scanners and phones make them: PDFs (scanned pages, pen strokes, typed text), multi-page TIFFs and
HEIC photos, one row per page; and hostile documents, each a row of its own while the batch goes on."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import number_with_marks, on_paper, run_cli
from PIL import Image
from test_resume import journal_rows, kill_at

from bench.browser import ONE, SEVEN
from bench.pdfs import encrypted, strokes_page, text_page, write_pdf


def page_of(digit, size=(1700, 2200), at=(300, 400)) -> Image.Image:
    """A letter page at 200 dpi, white, one MNIST digit written in a box near its top."""
    page = Image.new("L", size, 255)
    page.paste(Image.fromarray(on_paper(digit, (220, 220), (40, 40), 5)), at)
    return page


def rows_of(text: str) -> dict[str, dict]:
    return {r["path"]: r for r in csv.DictReader(io.StringIO(text))}


@pytest.fixture(scope="module")
def documents(mnist_test, tmp_path_factory):
    """docs/ with every kind of document, and the true digit of each page that has one."""
    root = tmp_path_factory.mktemp("documents") / "docs"
    root.mkdir()
    pages = [page_of(mnist_test.images[i]) for i in range(3)]
    truth = {f"form.pdf#page={n + 1}": int(mnist_test.labels[n]) for n in range(3)}
    pages[0].save(root / "form.pdf", save_all=True, append_images=pages[1:], resolution=200)  # a scanner's PDF
    fax = [p.point(lambda v: 255 if v > 128 else 0).convert("1") for p in pages]
    fax[0].save(root / "fax.tif", save_all=True, append_images=fax[1:], compression="group4")
    truth |= {f"fax.tif#page={n + 1}": int(mnist_test.labels[n]) for n in range(3)}
    from digits.documents import register_heif

    register_heif()  # pillow-heif writes HEIC too
    Image.fromarray(on_paper(mnist_test.images[3], (400, 300), (80, 40), 7)).convert("RGB").save(root / "photo.heic")
    truth["photo.heic"] = int(mnist_test.labels[3])
    write_pdf(root / "pen.pdf", [strokes_page(SEVEN, (200, 200, 60), 4), strokes_page(ONE, (300, 100, 50), 3)])
    truth |= {"pen.pdf#page=1": 7, "pen.pdf#page=2": 1}
    write_pdf(root / "typed.pdf", [text_page(["Invoice 2024-117", "Total: 42.00"]), b""])
    scanned = (root / "form.pdf").read_bytes()
    (root / "locked.pdf").write_bytes(encrypted(scanned))
    (root / "cut.pdf").write_bytes(scanned[: len(scanned) // 2])
    (root / "junk.pdf").write_bytes(b"%PDF-1.4\n" + b"\0 not a PDF " * 100)
    write_pdf(root / "huge.pdf", [b""], size=(14_400, 14_400))  # 200 x 200 inches: 1.6 billion pixels at 200 dpi
    return root, truth


@pytest.fixture(scope="module")
def read(documents):
    root, _ = documents
    done = run_cli("batch", root, "--out", "-")
    assert done.returncode == 3, done.stderr  # the hostile ones: error rows
    return rows_of(done.stdout)


def test_every_page_is_a_row_read_as_well_as_a_scan(documents, read):
    _, truth = documents
    for path, digit in truth.items():
        assert read[path]["status"] == "ok" and read[path]["prediction"] == str(digit), read[path]
    assert sorted(read) == sorted([*truth, "cut.pdf", "huge.pdf#page=1", "junk.pdf", "locked.pdf", "typed.pdf#page=1",
                                   "typed.pdf#page=2"])


@pytest.mark.parametrize("path, status, says", [
    ("locked.pdf", "error", "encrypted PDF, no password"),
    ("cut.pdf", "error", "corrupt or truncated PDF"),
    ("junk.pdf", "error", "corrupt or truncated PDF"),
    ("huge.pdf#page=1", "error", "above the limit of 50,000,000; lower --dpi"),
    ("typed.pdf#page=1", "blank", "only typed text, no handwriting"),
    ("typed.pdf#page=2", "blank", ""),
])
def test_hostile_documents_get_a_row_each(read, path, status, says):
    assert read[path]["status"] == status and says in read[path]["error"], read[path]


def test_a_scanned_page_is_its_scan_and_is_refused_when_too_big(documents):
    from digits.documents import pdf_pages

    root, _ = documents
    page = next(pdf_pages(root / "form.pdf", 10**8, 10, dpi=72, only=2))
    assert page.image.size == (1700, 2200)  # the scan's own pixels, whatever --dpi
    done = run_cli("batch", root / "form.pdf", "--max-pixels", "1000000", "--out", "-")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert done.returncode == 3 and len(rows) == 3
    assert all("a 1700x2200 pixel scan is above the limit of 1,000,000" in r["error"] for r in rows)


def test_pages_past_max_pages_are_reported_not_dropped(tmp_path):
    write_pdf(tmp_path / "long.pdf", [b""] * 30)
    done = run_cli("batch", tmp_path / "long.pdf", "--max-pages", "10", "--out", "-")
    assert done.returncode == 3, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    long = str(tmp_path / "long.pdf")
    assert [r["path"] for r in rows] == [f"{long}#page={n}" for n in range(1, 11)] + [long]
    assert rows[-1]["error"] == "pages 11-30 of 30 not read (--max-pages 10); raise --max-pages to read them"
    frames = [Image.new("L", (40, 40), 255) for _ in range(12)]
    frames[0].save(tmp_path / "fax.tif", save_all=True, append_images=frames[1:])  # a TIFF the same way
    done = run_cli("batch", tmp_path / "fax.tif", "--max-pages", "10", "--out", "-")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 11 and rows[9]["path"].endswith("fax.tif#page=10") and "pages 11-12 of 12" in rows[-1]["error"]


def test_predict_jsonl_and_numbers_name_each_page(documents, mnist_test, tmp_path):
    root, truth = documents
    predict = run_cli("predict", root / "form.pdf", "--json")
    assert predict.returncode == 0, predict.stderr
    assert [(r["path"].rsplit("/", 1)[-1], r["prediction"]) for r in json.loads(predict.stdout)] == [
        (f"form.pdf#page={n}", truth[f"form.pdf#page={n}"]) for n in (1, 2, 3)]
    out = tmp_path / "preds.jsonl"
    assert run_cli("batch", root / "pen.pdf", "--out", out).returncode == 0
    assert [json.loads(line)["prediction"] for line in out.read_text().splitlines()] == [7, 1]

    number_with_marks(mnist_test, "3084", {}, seed=5).save(tmp_path / "meter.pdf", resolution=100)  # a photo as a PDF
    numbers = run_cli("batch", tmp_path / "meter.pdf", "--numbers", "--out", "-")
    assert numbers.returncode == 0, numbers.stderr
    (row,) = csv.DictReader(io.StringIO(numbers.stdout))
    assert row["path"].endswith("meter.pdf#page=1") and row["prediction"] == "3084"


def test_a_run_killed_inside_a_document_resumes_to_the_same_bytes(mnist_test, tmp_path):
    """150 PDFs of ten pages: a kill lands between two pages of one; resuming reads that document again, whole."""
    folder = tmp_path / "pdfs"
    folder.mkdir()
    for k in range(150):
        pages = [Image.fromarray(on_paper(mnist_test.images[k * 10 + n], (300, 300), (50, 50), 6)) for n in range(10)]
        pages[0].save(folder / f"{k:02d}.pdf", save_all=True, append_images=pages[1:], resolution=100)
    whole = tmp_path / "whole.csv"
    assert run_cli("batch", folder, "--out", whole, "-q").returncode == 0
    out, journal = tmp_path / "preds.csv", tmp_path / "preds.csv.journal"
    for rows in (57, 613):  # not a multiple of ten: inside a document, unless a flush ends exactly there
        kill_at([folder, "--out", out, "--resume", "-q"], journal, rows)
        assert not out.exists() and journal_rows(journal) >= rows
    done = run_cli("batch", folder, "--out", out, "--resume")
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes() == whole.read_bytes()
