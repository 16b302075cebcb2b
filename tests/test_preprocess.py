"""Preprocessing properties: any placement, size, polarity, transparency, light or format gives the same input."""

import io

import numpy as np
import pytest
from conftest import on_paper
from PIL import Image, ImageDraw

from digits.preprocess import CENTRE, preprocess

N = 100  # MNIST test digits per property


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


@pytest.fixture(scope="module")
def digits(mnist_test):
    return mnist_test.images[:N]


def test_output_is_the_contract_in_mnist_framing(digits):
    for digit in digits[:20]:
        seen = preprocess(digit)
        assert seen.image.shape == (28, 28) and seen.image.dtype == np.float32
        assert 0.0 <= seen.image.min() and seen.image.max() == pytest.approx(1.0)
        rows, cols = np.nonzero(seen.image.any(axis=1))[0], np.nonzero(seen.image.any(axis=0))[0]
        assert max(np.ptp(rows), np.ptp(cols)) + 1 in (19, 20, 21)  # longer side fits the 20 px box
        mass = seen.image.sum()
        cy = (seen.image.sum(axis=1) @ np.arange(28)) / mass
        cx = (seen.image.sum(axis=0) @ np.arange(28)) / mass
        assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5


def test_an_mnist_digit_comes_back_nearly_unchanged(digits):
    diffs = [diff(preprocess(d).image, d / 255) for d in digits]
    assert np.mean(diffs) < 0.04 and max(diffs) < 0.15


def test_placement_on_a_larger_page_does_not_matter(digits):
    rng = np.random.default_rng(0)
    diffs = []
    for d in digits:
        at = (int(rng.integers(0, 272)), int(rng.integers(0, 172)))
        diffs.append(diff(preprocess(d).image, preprocess(on_paper(d, (300, 200), at)).image))
    assert np.mean(diffs) < 0.01 and max(diffs) < 0.1


@pytest.mark.parametrize("scale, limit", [(3.0, 0.06), (0.7, 0.08)])
def test_size_does_not_matter(digits, scale, limit):
    diffs = [diff(preprocess(d).image, preprocess(on_paper(d, (200, 200), (40, 30), scale)).image) for d in digits]
    assert np.mean(diffs) < limit and max(diffs) < 0.2


def test_polarity_is_detected_either_way(digits):
    for d in digits:
        light_on_dark, dark_on_light = preprocess(d), preprocess(255 - d)
        assert not light_on_dark.dark_on_light and dark_on_light.dark_on_light
        assert diff(light_on_dark.image, dark_on_light.image) < 1e-6


def test_transparent_sketches_are_flattened_onto_a_contrasting_paper(digits):
    for d in digits[:30]:
        dark = np.zeros((28, 28, 4), np.uint8)
        dark[..., 3] = d  # black ink on a transparent layer, as Gradio's sketchpad layer
        light = np.full((28, 28, 4), 255, np.uint8)
        light[..., 3] = d  # white ink on transparent
        expected = preprocess(d).image
        assert diff(preprocess(dark).image, expected) < 1e-6
        assert diff(preprocess(light).image, expected) < 1e-6
        assert diff(preprocess(Image.fromarray(dark, "RGBA")).image, expected) < 1e-6


def test_uneven_light_and_paper_grain_are_suppressed(digits):
    rng = np.random.default_rng(1)
    ys, xs = np.mgrid[0:112, 0:112]
    light = {
        "gradient": np.linspace(0.55, 1.0, 112)[None, :],
        "vignette": 1 - 0.2 * ((ys - 56) ** 2 + (xs - 56) ** 2) / 56**2,
    }
    for name, factor in light.items():
        diffs = []
        for d in digits:
            page = on_paper(d, (112, 112), (30, 30), 2).astype(np.float32)
            lit = np.clip(page * factor + rng.normal(0, 6, page.shape), 0, 255).astype(np.uint8)
            diffs.append(diff(preprocess(page.astype(np.uint8)).image, preprocess(lit).image))
        assert np.mean(diffs) < 0.02 and max(diffs) < 0.12, name


def test_faint_pencil_is_still_ink(digits):
    for d in digits[:30]:
        page = on_paper(d, (100, 100), (20, 30), 2).astype(np.float32)
        pencil = (200 + page / 255 * 55).astype(np.uint8)  # grey 200 on white 255: 22% contrast
        seen = preprocess(pencil)
        assert not seen.blank
        assert diff(seen.image, preprocess(page.astype(np.uint8)).image) < 0.05


def test_exif_orientation_is_applied(digits):
    upright = Image.fromarray(on_paper(digits[0], (120, 80), (30, 20), 2))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a phone stores a photo taken sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    stored.save(buffer, format="PNG", exif=exif)
    reopened = Image.open(io.BytesIO(buffer.getvalue()))
    assert diff(preprocess(reopened).image, preprocess(upright).image) < 1e-6
    assert diff(preprocess(stored).image, preprocess(upright).image) > 0.05  # without the tag it differs


def test_16_bit_cmyk_and_palette_images_read_like_8_bit(digits):
    d = on_paper(digits[1], (90, 90), (20, 20), 2)
    expected = preprocess(d).image
    sixteen = d.astype(np.uint16) * 257
    assert diff(preprocess(sixteen).image, expected) < 0.01
    assert diff(preprocess(Image.fromarray(sixteen)).image, expected) < 0.01
    assert diff(preprocess(Image.fromarray(d).convert("CMYK")).image, expected) < 0.01
    assert diff(preprocess(Image.fromarray(d).convert("P")).image, expected) < 0.01
    assert diff(preprocess(d.astype(np.float32) / 255).image, expected) < 0.01


def blank_cases() -> dict[str, Image.Image | np.ndarray]:
    rng = np.random.default_rng(2)
    specks = np.full((200, 200), 255, np.uint8)
    for y, x in rng.integers(5, 195, (5, 2)):
        specks[y : y + 2, x : x + 2] = 0
    one_speck = np.full((200, 200), 255, np.uint8)
    one_speck[100:103, 50:53] = 0
    invisible = np.zeros((64, 64, 4), np.uint8)
    invisible[20:40, 20:40, :3] = 255  # colour where alpha is zero: nothing shows
    return {
        "white": np.full((64, 64), 255, np.uint8),
        "black": np.zeros((64, 64), np.uint8),
        "grey": np.full((50, 80), 128, np.uint8),
        "paper grain": np.clip(rng.normal(235, 8, (150, 150)), 0, 255).astype(np.uint8),
        "faint smudge": (240 - 12 * np.exp(-((np.mgrid[0:100, 0:100] - 50) ** 2).sum(0) / 400)).astype(np.uint8),
        "one speck": one_speck,
        "scattered specks": specks,
        "transparent": np.zeros((64, 64, 4), np.uint8),
        "invisible colour": invisible,
        "gradio cleared canvas": Image.new("RGBA", (800, 800), (255, 255, 255, 255)),
        "one pixel": np.zeros((1, 1), np.uint8),
    }


@pytest.mark.parametrize("name", list(blank_cases()))
def test_blank_and_near_blank_images_are_blank(name):
    seen = preprocess(blank_cases()[name])
    assert seen.blank and seen.box is None
    assert not seen.image.any()


def test_small_digit_on_a_large_page_is_found_at_full_resolution(digits):
    page = on_paper(digits[2], (1600, 1200), (1000, 700), 1.5)  # a 42 px digit on a 1600 px page
    seen = preprocess(page)
    assert not seen.blank
    ys, xs = np.nonzero(page < 128)
    expected = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert all(abs(got - want) <= 3 for got, want in zip(seen.box, expected, strict=True)), (seen.box, expected)
    assert diff(seen.image, preprocess(digits[2]).image) < 0.1


def test_a_fine_pen_on_a_big_page_is_thickened_like_mnists_pen():
    page = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(page).line([(60, 50), (240, 50), (110, 270)], fill=0, width=2)  # a 7 in 2 px strokes
    seen = preprocess(page)  # shrunk ~11 times: left as they are, its strokes would be hairlines of 26 px in all
    assert np.count_nonzero(seen.image > 0.5) >= 34  # grown before the resize: 37


def test_bad_arrays_raise_value_error():
    with pytest.raises(ValueError, match="shape"):
        preprocess(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="shape"):
        preprocess(np.zeros((0, 10), np.uint8))
