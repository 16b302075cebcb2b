"""Reading numbers: segmentation on constructed handwriting (gaps, touching, broken strokes, specks, slant, blank)."""

import csv
import io
import json

import numpy as np
import pytest
from conftest import png_header, run_cli
from PIL import Image

from digits.numbers import read_numbers
from digits.segment import segment

SCALE = 4  # the 28 px MNIST digits are drawn 112 px high, as on a scan


@pytest.fixture(scope="module")
def first(mnist_test, classifier):
    """Of each digit, the first MNIST test image read right alone with 99% confidence, cropped to its ink columns.

    (28, w) uint8, ink 255: a clear digit, so that a failure here is the cutting's, not the reading's.
    """
    out = {}
    for digit in range(10):
        for index in np.flatnonzero(mnist_test.labels == digit):
            alone = classifier.predict([mnist_test.images[index]])[0]
            if alone.digit == digit and alone.confidence > 0.99:
                break
        image = mnist_test.images[index]
        cols = np.flatnonzero(image.max(axis=0) > 30)
        out[digit] = image[:, cols[0] : cols[-1] + 1]
    return out


def number(first, text: str, gaps, drops=None, page: int = 20) -> Image.Image:
    """Digits side by side (gap in MNIST px before each next digit, negative overlaps; drop moves it down)."""
    parts = [first[int(c)] for c in text]
    gaps, drops = list(gaps), list(drops or [0] * len(parts))
    width = sum(p.shape[1] for p in parts) + sum(gaps) + 2 * page
    canvas = np.zeros((28 + max(drops) + 2 * page, width), np.uint8)
    x = page
    for part, gap, drop in zip(parts, [*gaps, 0], drops, strict=True):
        region = canvas[page + drop : page + drop + 28, x : x + part.shape[1]]
        np.maximum(region, part, out=region)
        x += part.shape[1] + gap
    ink = Image.fromarray(255 - canvas)
    return ink.resize((ink.width * SCALE, ink.height * SCALE), Image.BICUBIC)


def read(classifier, image: Image.Image) -> str:
    return read_numbers([segment(image)], classifier)[0].text


@pytest.mark.parametrize("gaps", [(1, 1, 1), (2, 15, 40), (30, 3, 8)])
def test_gaps_of_any_width(first, classifier, gaps):
    assert read(classifier, number(first, "4070", gaps)) == "4070"


def test_slanted_and_uneven_baseline(first, classifier):
    assert read(classifier, number(first, "2026", (4, 4, 4), drops=(0, 4, 9, 13))) == "2026"
    assert read(classifier, number(first, "417", (5, 5), drops=(6, 0, 4))) == "417"


@pytest.mark.parametrize("gap", [0, -1])
def test_touching_pairs_are_cut(first, classifier, gap):
    """Every pair of digits written touching (0) or overlapping by a stroke's width (-1): most are read right."""
    read_right = {}
    for text in (f"{a}{b}" for a in range(10) for b in range(10)):
        image = number(first, text, (gap,))
        if len(segment(image)) == 1:  # the two digits make one piece of ink: this is what is tested
            read_right[text] = read(classifier, image) == text
    assert len(read_right) >= 30
    assert sum(read_right.values()) >= 0.85 * len(read_right), [t for t, ok in read_right.items() if not ok]


def test_broken_strokes_stay_one_digit(first, classifier):
    """A dry pen: a band of rows missing across every digit splits each into stacked pieces, joined again.

    Checked as one place per digit whose whole ink reads right: whether a place as wide as this 3 is
    better cut in two is the touching-digit choice, tested above.
    """
    image = np.asarray(number(first, "5238", (6, 6, 6))).copy()
    middle = image.shape[0] // 2
    image[middle - 3 : middle + 3] = 255
    slots = segment(Image.fromarray(image))
    whole = classifier.classify([slot.crops[(0, slot.cuts - 1)] for slot in slots])
    assert "".join(str(p.digit) for p in whole) == "5238"


def test_a_detached_flag_joins_its_digit(first, classifier):
    """A 5 whose top bar was lifted off the page: a short piece to the right, over the same columns."""
    image = np.asarray(number(first, "15", (8,))).copy()
    five = first[5]
    rows = np.flatnonzero(five.max(axis=1) > 30)
    bar_bottom = (20 + rows[0] + 4) * SCALE  # the bar's lower edge on the page
    image[bar_bottom : bar_bottom + 2 * SCALE] = 255
    assert read(classifier, Image.fromarray(image)) == "15"


def test_specks_are_not_digits(first, classifier):
    image = np.asarray(number(first, "417", (8, 8))).copy()
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, image.shape[0] - 6, 12), rng.integers(0, image.shape[1] - 6, 12), strict=True):
        image[y : y + 5, x : x + 5] = 60  # dots of dirt, well under a tenth of the digits' height
    assert read(classifier, Image.fromarray(image)) == "417"


def test_blank_and_dirt_only_read_nothing(classifier):
    blank = Image.new("L", (400, 120), 255)
    dirt = np.full((120, 400), 255, np.uint8)
    dirt[50:53, 100:103] = 0
    salt = np.full((400, 1200), 255, np.uint8)
    salt[np.random.default_rng(0).random(salt.shape) < 0.02] = 0  # thousands of one-pixel specks
    for image in (blank, Image.fromarray(dirt), Image.fromarray(salt)):
        reading = read_numbers([segment(image)], classifier)[0]
        assert reading.blank and reading.text == "" and reading.confidence == 0.0


def test_confidence_is_the_product_of_the_digits(first, classifier):
    reading = read_numbers([segment(number(first, "907", (6, 6)))], classifier)[0]
    assert reading.text == "907"
    assert reading.confidence == pytest.approx(np.prod([d.confidence for d in reading.digits]))
    assert [d.seen.box[0] for d in reading.digits] == sorted(d.seen.box[0] for d in reading.digits)


@pytest.fixture(scope="module")
def number_folder(first, tmp_path_factory):
    folder = tmp_path_factory.mktemp("numbers")
    number(first, "4070", (3, 12, 5)).save(folder / "a 4070.png")
    number(first, "2026", (4, 4, 4), drops=(0, 4, 9, 13)).convert("RGB").save(folder / "b 2026.jpg", quality=90)
    number(first, "0079", (6, 2, 9)).save(folder / "c 0079.webp")
    Image.new("L", (300, 100), 255).save(folder / "d blank.png")
    (folder / "e text.png").write_text("not an image")
    (folder / "f huge.png").write_bytes(png_header(60_000, 60_000))
    return folder


def test_batch_numbers_csv(number_folder, tmp_path):
    out = tmp_path / "numbers.csv"
    run = run_cli("batch", number_folder, "--numbers", "--out", out, "--quiet")
    assert run.returncode == 3, run.stderr  # some files could not be read, as in plain batch
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "prediction", "confidence", "status", "error", "digit_confidences"]
    by_name = {row["path"]: row for row in rows}
    for name in ("a 4070.png", "b 2026.jpg", "c 0079.webp"):
        row = by_name[name]
        assert row["prediction"] == name[2:6] and row["status"] == "ok"  # leading zeros kept
        each = [float(c) for c in row["digit_confidences"].split()]
        assert len(each) == 4 and float(row["confidence"]) == pytest.approx(np.prod(each), abs=1e-3)
    assert by_name["d blank.png"]["status"] == "blank" and by_name["d blank.png"]["prediction"] == ""
    assert by_name["e text.png"]["status"] == "error" and "not an image" in by_name["e text.png"]["error"]
    assert by_name["f huge.png"]["status"] == "error" and "pixels" in by_name["f huge.png"]["error"]


def test_batch_numbers_jsonl_predict_and_usage(number_folder, tmp_path):
    run = run_cli("batch", number_folder, "--numbers", "--format", "jsonl", "--out", "-", "--quiet")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    first_row = records[0]
    assert first_row["prediction"] == "4070" and len(first_row["digit_confidences"]) == 4
    assert records[3]["prediction"] is None and records[3]["digit_confidences"] is None
    predicted = run_cli("predict", number_folder / "b 2026.jpg", "--numbers", "--json")
    assert json.loads(predicted.stdout)[0]["prediction"] == "2026"
    both = run_cli("batch", number_folder, "--numbers", "--probabilities")
    assert both.returncode == 2 and "digit_confidences" in both.stderr


def test_validation_numbers_use_only_held_out_training_digits_plain_and_boxed(data_dir):
    """bench/read_numbers.py --split validation: the digits held out of training, never test or Semeion digits."""
    from bench.read_numbers import sources
    from digits.config import Config
    from digits.training.data import load_mnist
    from digits.training.train import split_validation

    (plain, images, labels), (boxed, box_images, box_labels) = sources(data_dir, "validation")[0]
    train = load_mnist(data_dir, "train")
    _, held_out = split_validation(train.labels, Config.val_size, Config.seed)
    assert (plain, boxed) == ("MNIST", "boxed MNIST") and len(images) == Config.val_size
    assert np.array_equal(images, train.images[held_out]) and np.array_equal(labels, box_labels)
    assert box_images.shape == (Config.val_size, 16, 16) and set(np.unique(box_images)) == {0, 255}
    rows, cols = box_images.any(axis=2), box_images.any(axis=1)  # which rows and columns hold ink
    fills = (rows[:, 0] & rows[:, -1]) | (cols[:, 0] & cols[:, -1])  # the ink spans the box one way at least
    assert fills.mean() > 0.95


def test_numbers_are_flagged_below_their_own_threshold(first, classifier, tmp_path):
    """A number 96% sure is `low_confidence` by default (0.97 with --numbers), `ok` with --min-confidence 0.95."""
    image = number(first, "7376", (0, 2, -2))  # digits touching: each digit about 99% sure, the number about 96%
    reading = read_numbers([segment(image)], classifier)[0]
    assert reading.text == "7376" and 0.95 < reading.confidence < 0.97, reading.confidence
    image.save(tmp_path / "7376.png")
    by_default = csv.DictReader(io.StringIO(run_cli("batch", tmp_path, "--numbers", "--quiet").stdout))
    lenient = csv.DictReader(io.StringIO(run_cli("batch", tmp_path, "--numbers", "--min-confidence", "0.95").stdout))
    assert [(r["prediction"], r["status"]) for r in by_default] == [("7376", "low_confidence")]
    assert [(r["prediction"], r["status"]) for r in lenient] == [("7376", "ok")]
