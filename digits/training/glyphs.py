"""Letters and symbols that are not digits, drawn from fonts and OpenCV's Hershey faces, for the gate's negatives.

The fonts come from Debian packages (`FONT_PACKAGES` says which package holds which file; a missing one is a
one-line error naming it) and matplotlib's own DejaVu. A font gives every letter it draws (Unicode categories
L*, plus a few symbols) except digits of any script and `TWINS`, the glyphs someone writes exactly like a digit.
Glyphs come out as (H, W) uint8 ink, 255 on 0, about `size` px high, ready for `scanlike.render_scan`.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digits.errors import DataError

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# file name -> the Debian package that installs it (matplotlib ships DejaVu Sans itself)
FONT_PACKAGES = {
    "DejaVu": "fonts-dejavu-core", "Free": "fonts-freefont-ttf", "Liberation": "fonts-liberation",
    "Humor-Sans": "fonts-humor-sans", "dkg": "fonts-dkg-handwriting", "femkeklaver": "fonts-femkeklaver",
    "Breip": "fonts-breip", "ComicNeue": "fonts-comic-neue", "BecauseWe": "fonts-bwht", "Isabella": "fonts-isabella",
    "Joscelyn": "fonts-joscelyn", "GFSGazis": "fonts-gfs-gazis", "kiloji": "fonts-kiloji", "Noto": "fonts-noto-core",
    "Nanum": "fonts-nanum-extra", "Abyssinica": "fonts-sil-abyssinica", "Kristi": "fonts-kristi",
    "Rufscript": "fonts-rufscript", "DancingScript": "fonts-dancingscript", "KaushanScript": "fonts-kaushanscript",
}
# Written like a digit by some writers, so never "not a digit": the gate must accept them as it accepts the digit.
# Latin O o (0), I l | (1), Z z (2), S s (5), b (6), B (8), g q (9); Greek omicron, iota, beta; Cyrillic O, Z (3),
# b-like (6), Che (4), Dze, I; Hebrew vav and final nun (1); Arabic alef (1), heh (o); the kana and hangul jamo
# that are bare digit shapes (katakana no and fu: 1 and 7; hangul giyeok and ieung: 7 and 0).
TWINS = set("OoIl|ZzSsbBgq" "ΟοΙιβΒ" "ОоЗзБбЬьЧчЅѕІіӀ" "וןא" "اهە" "ノフ" "ㄱㅇ" "ƷʒƼƽ")
SYMBOLS = set("#&%@*+=?$<>{}[]~^§¶†‡±×÷∞√∫∑∏Ω∆◊♠♣♥♦")  # a few symbols people draw; ( ) / \ ! are 1s


def font_file(name: str) -> Path:
    """The installed font file called `name` (e.g. "FreeSans.ttf"); DataError naming its package when missing."""
    if name.startswith("DejaVuSans") and name.endswith(".ttf"):
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
        if bundled.is_file():
            return bundled
    for folder in FONT_DIRS:
        for path in folder.rglob(name) if folder.is_dir() else ():
            return path
    raise DataError(f"font {name} not found; install it (apt-get install {package_of(name)})")


def package_of(name: str) -> str:
    """The Debian package that installs a font file."""
    return next((p for prefix, p in FONT_PACKAGES.items() if name.startswith(prefix)), "a package with it")


def _wanted(char: str, ranges: tuple[tuple[int, int], ...] | None) -> bool:
    if char in TWINS or unicodedata.category(char)[0] == "N":  # digits and numerals of every script
        return False
    if ranges is not None and not any(lo <= ord(char) <= hi for lo, hi in ranges):
        return False
    return unicodedata.category(char)[0] == "L" or char in SYMBOLS


@functools.cache
def font_glyphs(name: str, ranges: tuple[tuple[int, int], ...] | None = None) -> tuple[str, ...]:
    """The characters a font draws that are not digits nor their twins: letters (and a few symbols), in `ranges`."""
    from fontTools.ttLib import TTFont

    with TTFont(font_file(name), fontNumber=0, lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return tuple(sorted(c for c in map(chr, cmap) if c.isprintable() and _wanted(c, ranges)))


@functools.cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(name)), size)


def render_glyph(name: str, char: str, size: int, bold: int = 0) -> np.ndarray | None:
    """One character of a font as (H, W) uint8 ink, 255 on 0, cropped to its ink; None when it draws nothing."""
    font = _font(name, size)
    left, top, right, bottom = font.getbbox(char, stroke_width=bold)
    if right <= left or bottom <= top:
        return None
    image = Image.new("L", (right - left + 4, bottom - top + 4))
    ImageDraw.Draw(image).text((2 - left, 2 - top), char, fill=255, font=font, stroke_width=bold, stroke_fill=255)
    box = image.getbbox()
    return None if box is None else np.asarray(image.crop(box))


HERSHEY = {  # OpenCV's Hershey faces: single-stroke vector letters, the closest a font comes to a pen
    "simplex": 0, "plain": 1, "duplex": 2, "complex": 3, "triplex": 4, "complex small": 5,
    "script simplex": 6, "script complex": 7,
}
HERSHEY_CHARS = "".join(c for c in map(chr, range(33, 127)) if _wanted(c, None))  # OpenCV draws ASCII only


def render_hershey(face: str, char: str, thickness: int, italic: bool = False) -> np.ndarray | None:
    """One ASCII character in a Hershey face as (H, W) uint8 ink, 255 on 0, about 60-90 px; None if nothing drawn."""
    import cv2

    font = HERSHEY[face] | (cv2.FONT_ITALIC if italic else 0)
    scale = 2.5
    (width, height), base = cv2.getTextSize(char, font, scale, thickness)
    canvas = np.zeros((height + base + 4 * thickness + 8, width + 4 * thickness + 8), np.uint8)
    cv2.putText(canvas, char, (2 * thickness + 4, height + 2 * thickness + 4), font, scale, 255, thickness,
                cv2.LINE_AA)
    ys, xs = np.nonzero(canvas)
    if ys.size == 0:
        return None
    return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
