"""The gate's non-digits: every family draws, the splits never share a family, no digit or twin is a non-digit."""

import unicodedata

import numpy as np
import pytest

from digits.errors import DataError
from digits.training import glyphs, negatives, strokes


@pytest.fixture(scope="module")
def every_family(mnist_test):
    return negatives.families(mnist_test.images[:200])


def test_every_family_draws_non_blank_inputs_framed_like_digits(every_family):
    for family in every_family:
        images = negatives.render(family, 6, seed=3)
        assert images.shape == (6, 28, 28) and images.dtype == np.float32, family.name
        assert (images.reshape(6, -1).max(axis=1) > 0.5).all(), family.name  # ink in every one
        assert np.array_equal(images, negatives.render(family, 6, seed=3)), family.name  # seeded


def test_the_splits_hold_different_families(every_family):
    splits = {split: {f.name for f in every_family if f.split == split} for split in ("train", "validation",
                                                                                        "benchmark")}
    assert sum(map(len, splits.values())) == len(every_family) == len({f.name for f in every_family})
    assert len(splits["train"]) == 16 and len(splits["validation"]) == 5
    assert splits["benchmark"] == {"joined-up script fonts", "Hershey script faces", "stars", "arrows", "spirals"}
    # the fonts of one split are not in another's
    assert not set(negatives.JOINED_UP) & set(negatives.PRINT + negatives.HANDS)
    assert not set(negatives.UNSEEN_SCRIPTS) & set(negatives.SCRIPTS)


def test_no_digit_of_any_script_and_no_twin_is_drawn_as_a_non_digit():
    for name in negatives.EVERY_FONT:
        chars = glyphs.font_glyphs(name)
        assert chars, name
        assert not set(chars) & glyphs.TWINS, name
        assert not [c for c in chars if unicodedata.category(c).startswith("N")], name
    assert {"O", "o", "l", "I", "S", "Z", "B", "b", "g", "q"} <= glyphs.TWINS
    assert not set("0123456789") & set(glyphs.HERSHEY_CHARS) and "A" in glyphs.HERSHEY_CHARS


def test_drawn_shapes_stay_in_their_box_and_a_missing_font_names_its_package():
    rng = np.random.default_rng(0)
    for shape in (strokes.scribble, strokes.smiley, strokes.star, strokes.arrow, strokes.spiral, strokes.hook):
        ink = strokes.draw(shape(rng), pen=6)
        assert ink is not None and ink.dtype == np.uint8 and max(ink.shape) <= strokes.SIZE + 16, shape.__name__
    with pytest.raises(DataError, match=r"NotoSansKlingon-Regular.ttf not found; install it \(apt-get install "
                                        r"fonts-noto-core\)"):
        glyphs.font_file("NotoSansKlingon-Regular.ttf")
