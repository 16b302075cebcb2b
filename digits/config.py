"""Every tunable default in one typed dataclass; the CLI overrides fields with `dataclasses.replace`."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path


def _bundled(folder: str) -> Path:
    """The repo's models/ or examples/, which the build maps into the package as digits.models / digits.examples.

    A checkout that was never installed (a Hugging Face Space runs `python app_gradio.py` from one) reads the
    checkout's own folder.
    """
    try:
        return Path(str(files(f"digits.{folder}")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / folder


MODELS_DIR = _bundled("models")
DEFAULT_MODEL = Path(os.environ.get("DIGITS_MODEL") or MODELS_DIR / "digits.onnx")  # --model overrides both
EXAMPLES_DIR = _bundled("examples") / "scans"  # the bundled example scans
# training, export and evaluation read and write the working folder's models/ (the repo's, run from a checkout),
# never the installed package
TRAIN_DIR = Path("models")
# the Keras models the export averages into the shipped model: one trained on single digits, one also on touching pairs
MEMBERS = (TRAIN_DIR / "digits.keras", TRAIN_DIR / "pairs" / "digits.keras")
GATE = TRAIN_DIR / "gate" / "gate.keras"  # the gate beside them, trained apart: says whether an image is a digit


@dataclass(frozen=True)
class Config:
    """Training, augmentation and inference defaults, each with the reason for its value."""

    # training: sized so the shipped run finishes within an hour on a 2-core CPU
    epochs: int = 40  # the cosine schedule needs them; the best epoch is picked on validation
    batch_size: int = 128
    learning_rate: float = 2e-3  # peak of a one-epoch warm-up, then cosine decay to zero
    weight_decay: float = 1e-4  # AdamW; a little regularisation on top of dropout and augmentation
    val_size: int = 5000  # held out of MNIST train; chooses the epoch, never the test set
    seed: int = 1
    train_limit: int = 0  # train on only the first N training images (quick checks); 0 = all

    # augmentation: other people's handwriting, not only MNIST's US writers
    rotation_deg: float = 15.0
    shear_deg: float = 12.0
    scale: tuple[float, float] = (0.85, 1.15)  # overall size in the 20x20 box
    aspect: tuple[float, float] = (0.75, 1.25)  # width/height change: wide and narrow writers
    fill_box_prob: float = 0.25  # share stretched to fill the 20x20 box (up to 3x), as boxed forms do
    shift_px: float = 2.0  # preprocessing centres by mass, so only small shifts remain
    thickness_prob: float = 0.5  # share of images whose stroke is made thinner or thicker
    clean_prob: float = 0.2  # share left undeformed, so the model also fits MNIST's own framing exactly
    euro_fraction: float = 0.3  # extra 1s with a flag/foot and 7s with a crossbar, as a share of each class
    bilevel_prob: float = 0.15  # share redrawn as a low-resolution black-and-white scan (no grey levels) ...
    bilevel_frame: tuple[int, int] = (16, 26)  # ... in a frame of this many px: the digit itself 11-19 px
    pressure_prob: float = 0.0  # share whose ink fades and darkens along the stroke, as pen pressure and scans vary
    pair_fraction: float = 0.0  # extra images of two touching digits framed as one, trained to read as no digit
    # (0.05 for the shipped model's second member, models/pairs: `digits train --pair-fraction 0.05`)

    # the gate ("not a digit"): a small CNN beside the readers, trained apart from them (`digits train-gate`)
    gate_width: int = 16  # channels of its first block (then 2x, 4x): chosen on validation (models/README.md)
    gate_epochs: int = 12
    gate_per_family: int = 3500  # non-digits drawn per training family (16 families), twice: 112,000
    gate_renderings: int = 12000  # training digits drawn in each rendering besides MNIST's own, in the first pass
    gate_shift: float = -6.0  # added to its logit in the graph: users send far fewer non-digits than it learnt from
    # (as many as digits); chosen on validation with the threshold (models/README.md, "The gate")

    # inference
    threads: int = 0  # onnxruntime intra-op threads; 0 lets onnxruntime choose (one per core)
    batch_threads: int = 1  # in `batch` the decoding workers keep every core busy; a 2nd thread adds ~15% CPU
    page_threads: int = 1  # the page runs one image per call, many calls at once: one thread each
    workers: int = 0  # processes decoding and preprocessing files; 0 = one per core
    pool: str = "process"  # "process" or "thread": bench/batch_speed.py measures both side by side
    min_confidence: float = 0.95  # flags ~1.9% of rows, ~85% of mistakes (bench/confidence_threshold.py)
    number_min_confidence: float = 0.97  # --numbers: `ok` rows right 99.55% on validation numbers (docs/numbers.md)
    not_digit_threshold: float = 0.9  # at or above, status not_digit (models with the gate; chosen on validation);
    # from 0.5 to 0.9 it moves images between not_digit and low_confidence, never to ok (docs/not_a_digit.md);
    # 1 sets the gate aside: every image read with the readers' own confidence, as before the gate

    batch: int = 256  # files classified together in `batch`: amortises the hand-offs, small for memory
    model_batch: int = 32  # images per onnxruntime run: activations stay in cache (~7% less CPU than 256)
    max_pixels: int = 50_000_000  # refuse bigger images before decoding, so memory stays bounded (`batch`)
    dpi: int = 150  # PDF pages that are not one scan are rendered at it (a scan is read at its own pixels): the
    # lowest of 100-300 within 0.1 points of the best on validation slips in 9 mm boxes (bench/documents.py)
    max_pages: int = 1_000  # pages read of one document (a PDF, a multi-page TIFF); the rest are reported
    paper_lines: bool = False  # clear the lines of ruled, squared and dotted paper and form boxes first
    # (digits/rules.py): +0.5 ms CPU per image in `batch`, +35%, so asked for (`--paper-lines`); docs/paper_lines.md
    part_rows: int = 10_000  # rows per part file at least (`batch --engine ray --out DIR/`): few files, little redone
    page_max_pixels: int = 12_000_000  # the page's own limit: a 12-megapixel phone photo; up to 16 uploads at once

    @property
    def gate(self) -> bool:
        """Whether the model's gate is used (a threshold of 1 sets it aside)."""
        return self.not_digit_threshold < 1

    def to_dict(self) -> dict:
        """Plain dict for JSON and ONNX metadata."""
        return asdict(self)


@dataclass(frozen=True)
class TrainPaths:
    """Where a training run writes: the Keras model, its history and curves."""

    out_dir: Path = field(default=TRAIN_DIR)

    @property
    def keras(self) -> Path:
        return self.out_dir / "digits.keras"

    @property
    def history(self) -> Path:
        return self.out_dir / "history.json"

    @property
    def curves(self) -> Path:
        return self.out_dir / "training_curves.png"
