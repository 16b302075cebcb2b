"""Loaders on the real MNIST, Semeion and USPS files, and clear errors for wrong or incomplete folders."""

import gzip
import shutil

import numpy as np
import pytest

from digits.errors import DataError
from digits.training.data import load_mnist, load_semeion, load_usps

# SHA-256 of the decompressed files, from ../shared/data/README.md
TRAIN_IMAGES = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
TEST_LABELS = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"


def test_mnist_train_and_test_load_with_their_published_hashes(data_dir):
    train, test = load_mnist(data_dir / "mnist", "train"), load_mnist(data_dir, "test")
    assert train.images.shape == (60_000, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (10_000, 28, 28) and test.labels.shape == (10_000,)
    assert set(np.unique(test.labels)) == set(range(10))
    assert train.images_sha256 == TRAIN_IMAGES and test.labels_sha256 == TEST_LABELS
    assert test.images.max() == 255 and np.median(test.images) == 0  # white ink on black


def test_raw_idx_files_load_like_the_gzipped_ones(data_dir, tmp_path):
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / stem).write_bytes(gzip.decompress((data_dir / "mnist" / f"{stem}.gz").read_bytes()))
    raw, gz = load_mnist(tmp_path, "test"), load_mnist(data_dir, "test")
    assert np.array_equal(raw.images, gz.images) and raw.labels_sha256 == gz.labels_sha256


def test_incomplete_folder_names_the_missing_file(data_dir, tmp_path):
    shutil.copy(data_dir / "mnist" / "t10k-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path, "test")
    with pytest.raises(DataError, match="not a folder"):
        load_mnist(tmp_path / "nowhere", "test")


def test_wrong_or_truncated_file_is_refused(data_dir, tmp_path):
    labels = gzip.decompress((data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    images = gzip.decompress((data_dir / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes())
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(labels)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(labels)  # labels under the images name
    with pytest.raises(DataError, match="magic number 2049, expected 2051"):
        load_mnist(tmp_path, "test")
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(images[:-100])
    with pytest.raises(DataError, match="truncated"):
        load_mnist(tmp_path, "test")
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        load_mnist(tmp_path, "test")


def test_semeion_loads_1593_labelled_digits(data_dir):
    sem = load_semeion(data_dir)
    assert sem.images.shape == (1593, 16, 16) and set(np.unique(sem.images)) == {0, 255}
    counts = np.bincount(sem.labels, minlength=10)
    assert counts.sum() == 1593 and counts.min() >= 150


def test_semeion_wrong_format_is_refused(tmp_path):
    (tmp_path / "semeion.data").write_text("1 0 1\n0 1 0\n")
    with pytest.raises(DataError, match="columns"):
        load_semeion(tmp_path)
    with pytest.raises(DataError, match="no semeion.data"):
        load_semeion(tmp_path / "empty")


def test_usps_loads_7291_digits_ink_on_paper_with_the_published_hash(data_dir, tmp_path):
    usps = load_usps(data_dir)
    assert usps.images.shape == (7_291, 16, 16) and usps.images.dtype == np.uint8
    assert np.bincount(usps.labels).tolist() == [1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644]
    assert usps.images_sha256 == "abc9f5c75b997cabe66b5d01727d5a681c69298e1641a8d37b55433a52129dc0"
    assert np.median(usps.images) == 0 and usps.images.max() == 255  # ink 255 on paper 0, as MNIST
    (tmp_path / "usps").mkdir()
    (tmp_path / "usps" / "zip.train.gz").write_bytes(gzip.compress(b"1.0 0.5 0.5\n"))
    with pytest.raises(DataError, match="expected a label 0-9 and 256 values"):
        load_usps(tmp_path)
    with pytest.raises(DataError, match="no usps/zip.train.gz; run `digits data fetch`"):
        load_usps(tmp_path / "nowhere")
