"""Rules, grids, dots and form boxes are not ink with `--paper-lines` (digits/rules.py): digits on notebook paper,
through the one preprocessing path, the real model and `batch` in a subprocess."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from bench.paper import on_paper_kind
from digits.preprocess import preprocess
from digits.training.scanlike import render_scan

FIRST = 20  # MNIST test digits drawn on each paper


def read(classifier, images: list, paper_lines: bool = True) -> np.ndarray:
    """The readers' digit for each image, through the one preprocessing path (paper lines cleared unless told)."""
    inputs = np.stack([preprocess(image, paper_lines=paper_lines).image for image in images])[..., None]
    return classifier.scores(inputs)[0].argmax(axis=1)


@pytest.mark.parametrize("photo", [False, True], ids=["scan", "photo"])
@pytest.mark.parametrize("kind", ["lined", "squared", "dotted", "box", "comb"])
def test_digits_on_paper_read_as_on_plain_paper(mnist_test, classifier, kind, photo):
    rng = np.random.default_rng(7)
    images = [on_paper_kind(mnist_test.images[i], kind, rng, photo) for i in range(FIRST)]
    labels = mnist_test.labels[:FIRST]
    right = int((read(classifier, images) == labels).sum())
    assert right >= FIRST - 1
    if kind != "dotted":  # the lines left in cost digits: the removal is what reads them
        assert int((read(classifier, images, paper_lines=False) == labels).sum()) < right


def test_pictures_without_lines_are_untouched(mnist_test, classifier):
    """MNIST's own 28x28 digits reach the model exactly as before the removal; scans on plain paper nearly all do
    (a thin pen's long tail may lose a little), and every one is read as before."""
    digits = mnist_test.images[:300]
    same = lambda p: np.array_equal(preprocess(p, paper_lines=True).image, preprocess(p, paper_lines=False).image)  # noqa: E731
    assert all(same(d) for d in digits)
    rng = np.random.default_rng(3)
    scans = [render_scan(mnist_test.images[i], rng) for i in range(300)]
    changed = sum(not same(p) for p in scans)
    assert changed <= 3
    assert (read(classifier, scans) == read(classifier, scans, paper_lines=False)).all()


def test_a_page_of_lines_with_no_digit_is_blank():
    nothing = np.zeros((28, 28), np.uint8)
    for kind in ("lined", "squared", "dotted"):
        page = on_paper_kind(nothing, kind, np.random.default_rng(1))
        assert preprocess(page, paper_lines=True).blank, kind


@pytest.mark.parametrize("digit", [1, 7])
def test_a_lone_straight_stroke_is_the_digit(mnist_test, classifier, digit):
    """A tight crop of a 1 or a 7 spans the picture like a rule; nothing runs past it, so it is kept."""
    index = int(np.flatnonzero(mnist_test.labels == digit)[0])
    ink = Image.fromarray(mnist_test.images[index])
    crop = ink.crop(ink.getbbox())
    picture = Image.fromarray(255 - np.asarray(crop.resize((crop.width * 8, crop.height * 8), Image.BICUBIC)))
    assert not preprocess(picture, paper_lines=True).blank
    assert read(classifier, [picture])[0] == digit


def number_on_lined_paper(mnist_test, digits: str, seed: int) -> Image.Image:
    """The MNIST test digits spelling `digits`, side by side with small gaps, written on lined paper (a scan)."""
    inks = [mnist_test.images[int(np.flatnonzero(mnist_test.labels == int(d))[k])] for k, d in enumerate(digits)]
    row = np.concatenate([np.pad(ink[:, 3:-3], ((0, 0), (2, 2))) for ink in inks], axis=1)
    return on_paper_kind(row, "lined", np.random.default_rng(seed))


def test_batch_reads_digits_on_paper_and_numbers_on_lined_paper(mnist_test, tmp_path):
    folder, labels = tmp_path / "paper", {}
    folder.mkdir()
    cases = [("squared", False, None)] * 8 + [("box", False, True), ("lined", True, None)]  # the box: crossed
    for k, (kind, photo, crossing) in enumerate(cases):
        name = f"{k}_{kind}{'_photo' if photo else ''}.png"
        on_paper_kind(mnist_test.images[k], kind, np.random.default_rng(k), photo, crossing).save(folder / name)
        labels[name] = str(mnist_test.labels[k])
    read_by = {}
    for flag in ("--paper-lines", "--no-paper-lines"):
        result = run_cli("batch", folder, "--out", tmp_path / "preds.csv", flag)
        assert result.returncode == 0, result.stderr
        rows = csv.DictReader(io.StringIO((tmp_path / "preds.csv").read_text()))
        read_by[flag] = {r["path"]: r["prediction"] for r in rows}
    assert read_by["--paper-lines"] == labels
    assert sum(read_by["--no-paper-lines"][name] == label for name, label in labels.items()) <= len(labels) - 3

    numbers = tmp_path / "numbers"
    numbers.mkdir()
    written = {"407.png": "407", "1958.png": "1958", "23.png": "23"}
    for seed, (name, digits) in enumerate(written.items()):
        number_on_lined_paper(mnist_test, digits, seed).save(numbers / name)
    result = run_cli("batch", numbers, "--numbers", "--paper-lines", "--out", tmp_path / "numbers.csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "numbers.csv").read_text())))
    assert {r["path"]: r["prediction"] for r in rows} == written
