"""The web page: draw or upload a digit and see what the model reads; several images give a CSV.

The handlers (`read_sketch`, `read_upload`, `read_many`) are plain functions of a Classifier that
return what the page shows; `build_page` lays out the Gradio 6 page and wires them, `launch` serves it.
Nothing here touches the network at import (Gradio's analytics are off unless the user turns them on).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
import gradio as gr  # noqa: E402

from digits.config import EXAMPLES_DIR, Config  # noqa: E402
from digits.engines.common import load  # noqa: E402
from digits.engines.local import classify_files  # noqa: E402
from digits.files import IMAGE_EXTENSIONS, Found  # noqa: E402
from digits.inference import Classifier, Prediction  # noqa: E402
from digits.numbers import NumberReading, read_numbers  # noqa: E402
from digits.output import COLUMNS, CsvWriter, flat  # noqa: E402
from digits.reader import Prepared, Reader, reader_for  # noqa: E402
from digits.results import LOW_CONFIDENCE, NOT_DIGIT, error_row, status_of  # noqa: E402
from digits.segment import Slot, segment  # noqa: E402

EMPTY_SKETCH = {"background": None, "layers": [], "composite": None}  # clears the sketchpad every time, not once
PROMPT = "Draw a digit (0-9) in the box, or upload an image."
NOT_A_DIGIT = "not a digit"  # the label /predict gives an image the model says is no digit
EXAMPLES = [EXAMPLES_DIR / name for name in ("2_0.jpg", "3_1.png", "5_2.webp", "7_1.webp", "9_1.bmp")]
ZOOM = 8  # the 28x28 input is shown as 224x224, each pixel a crisp square
MAX_FILES = 200  # one request of "several images"; a folder of thousands belongs to `digits batch`
CSV_SECONDS = 60.0  # a request's CSV is removed this long after it is written: Gradio serves its own copy

# The pads: Gradio's image editor made a plain pen (page.js keeps its brush on, page.css hides its tools), each as
# big as its canvas at 100% plus the editor's margins, or the screen's width when narrower.
PAD = 256  # the canvas height, px; the digit pad is square
WIDE = 5 * PAD // 2  # the number pad's canvas width
MARGIN = 31  # the editor keeps 30 px and a border around the canvas
PEN = 9  # the pen's radius, px: a stroke a fourteenth of the pad wide, like MNIST's pen on its 20 px box
UNDO = "() => document.querySelector('#{pad} .top-panel .separator + button').click()"  # the editor's own undo
ASSETS = Path(__file__).parent
SIZES = f"""
#sketch, .pad-buttons {{ max-width: {PAD + 2 * MARGIN}px; }}
#number-sketch, .pad-buttons.number {{ max-width: {WIDE + 2 * MARGIN}px; }}
#sketch {{ aspect-ratio: 1 / 1; }}
#number-sketch {{ aspect-ratio: {WIDE + 2 * MARGIN} / {PAD + 2 * MARGIN}; }}
@media (max-width: {WIDE + 2 * MARGIN + 64}px) {{ #number-sketch {{ aspect-ratio: 2 / 1; }} }}
"""  # on a phone the number pad's fixed margins take more of its height: less wide, its canvas fills the width

Shown = tuple[dict[str, float] | None, np.ndarray | None, str]  # (top-3 label, what the model sees, message)


def enlarged(seen: np.ndarray) -> np.ndarray:
    """(28, 28) float32 in [0, 1] -> (224, 224) uint8, nearest-neighbour, for display."""
    return np.kron((seen * 255).round().astype(np.uint8), np.ones((ZOOM, ZOOM), np.uint8))


def shown(prediction: Prediction, cfg: Config, note: str = "") -> Shown:
    """What the page shows for one prediction: the top 3, the 28x28 view, a message."""
    if prediction.blank:
        return None, None, "No ink found. " + PROMPT
    (digit, p), (second, _) = prediction.top(2)
    status = status_of(prediction, cfg.min_confidence, cfg.not_digit_threshold)
    message = f"Reads **{digit}** ({p:.0%} sure)."
    if status == NOT_DIGIT:
        message = (f"That doesn't look like a digit ({prediction.not_digit:.0%} sure). "
                   f"Closest digits: {digit}, then {second}.")
    elif status == LOW_CONFIDENCE:
        message = f"Not sure: **{digit}** ({p:.0%}), or perhaps {second}. Try writing it larger and clearer."
    if note:
        message += f" Note: {note}."
    return label_value(prediction, cfg), enlarged(prediction.seen.image), message


def label_value(prediction: Prediction, cfg: Config) -> dict[str, float] | None:
    """The top 3 digits with their probabilities, as gr.Label takes them; None when blank.

    When the model says the image is not a digit, "not a digit" with its probability comes first, then the two
    closest digits.
    """
    if prediction.blank:
        return None
    if status_of(prediction, cfg.min_confidence, cfg.not_digit_threshold) == NOT_DIGIT:
        return {NOT_A_DIGIT: round(prediction.not_digit, 4)} | {str(d): round(q, 4) for d, q in prediction.top(2)}
    return {str(d): round(q, 4) for d, q in prediction.top(3)}


def drawn(value: dict | None) -> np.ndarray | None:
    """A sketchpad's value -> its (H, W, 4) uint8 RGBA composite; None when nothing is drawn.

    Nothing is drawn when the pad is cleared (no composite) or every stroke was undone (a plain white composite
    over layers without ink).
    """
    composite = (value or {}).get("composite")
    if composite is None or not np.asarray(composite).any():
        return None
    layers = [np.asarray(layer) for layer in value.get("layers") or []]
    if layers and all(layer.ndim == 3 and layer.shape[2] == 4 and not layer[..., 3].any() for layer in layers):
        return None
    return np.asarray(composite)


def read_sketch(value: dict | None, classifier: Classifier, cfg: Config) -> Shown:
    """Sketchpad value {"background", "layers", "composite": (H, W, 4) uint8 RGBA} -> what to show."""
    composite = drawn(value)
    if composite is None:
        return None, None, PROMPT
    return shown(classifier.predict([composite])[0], cfg)


def page_limits(cfg: Config) -> Config:
    """`cfg` with the page's own pixel limit (Config.page_max_pixels) in place of `batch`'s."""
    return dataclasses.replace(cfg, max_pixels=cfg.page_max_pixels)


def load_first(path: str, cfg: Config, reader: Reader) -> tuple[Prepared | None, str, str]:
    """An uploaded file prepared for the model, at the page's own pixel limit: (what it sees, note, error). Of a
    document (a PDF, a multi-page TIFF), its first page, and a note saying so."""
    fragment, seen, note, error = load(Path(path), page_limits(cfg), reader, only=1)[0]
    if fragment:
        note = "its first page only; upload it under Several images for every page"
    return seen, note, error


def read_upload(path: str | None, classifier: Classifier, cfg: Config) -> Shown:
    """One uploaded file -> what to show; a bad file gets its own message, never an exception."""
    if not path:
        return None, None, PROMPT
    seen, note, error = load_first(path, cfg, reader_for(cfg))
    if seen is None:
        return None, None, f"Cannot read {Path(path).name}: {error}."
    return shown(classifier.classify([seen])[0], cfg, note)


def read_label(path: str | None, classifier: Classifier, cfg: Config) -> dict[str, float] | None:
    """The API's /predict: one image file -> the top 3 digits with probabilities; None when blank.

    An unreadable file raises gr.Error, which Gradio sends to the client as the message itself.
    """
    return label_value(classifier.classify([_load_or_raise(path, cfg, reader_for(cfg))])[0], cfg)


def _load_or_raise(path: str | None, cfg: Config, reader: Reader):
    """For the API: the file as the reader prepares it; gr.Error, sent as is, when unreadable."""
    if not path:
        raise gr.Error("no file given: send one image file")
    seen, _, error = load_first(path, cfg, reader)
    if seen is None:
        raise gr.Error(f"cannot read {Path(path).name}: {error}")
    return seen


NUMBER_PROMPT = "Write a number (several digits side by side) in the wide box."

NumberShown = tuple[str, list[tuple[np.ndarray, str]], str]  # (the number, each digit's 28x28 with caption, message)


def read_number(image: np.ndarray | None, classifier: Classifier, cfg: Config) -> NumberShown:
    """A sketched (H, W, 4) uint8 RGBA number -> the number, each digit's 28x28 with caption, a message."""
    if image is None:
        return "", [], NUMBER_PROMPT
    return number_shown(segment(image), classifier, cfg)


def read_number_upload(path: str | None, classifier: Classifier, cfg: Config) -> NumberShown:
    """An uploaded photo or scan of a number -> what the Number tab shows; a bad file gets its own message."""
    if not path:
        return "", [], NUMBER_PROMPT
    slots, note, error = load_first(path, cfg, reader_for(cfg, numbers=True))
    if slots is None:
        return "", [], f"Cannot read {Path(path).name}: {error}."
    return number_shown(slots, classifier, cfg, note)


def number_shown(slots: list[Slot], classifier: Classifier, cfg: Config, note: str = "") -> NumberShown:
    """A number cut into slots (digits/segment.py) -> the number read, each digit's 28x28 with caption, a message."""
    reading = read_numbers([slots], classifier)[0]
    if reading.blank:
        return "", [], "No ink found. " + NUMBER_PROMPT
    if not reading.digits:
        return "", [], f"That doesn't look like a number ({reading.not_digit:.0%} sure). " + NUMBER_PROMPT
    message = f"Reads **{reading.text}** ({reading.confidence:.0%} sure: the product of its digits' confidences)."
    if reading.confidence < cfg.number_min_confidence:
        message += " Not sure: check the digits below; write them larger, with clear gaps."
    if reading.note:
        message += f" It {reading.note.replace('left out', 'leaves out', 1)}."
    if note:
        message += f" Note: {note}."
    return reading.text, digit_crops(reading), message


def digit_crops(reading: NumberReading) -> list[tuple[np.ndarray, str]]:
    """Each digit of a number as the model saw it, enlarged, captioned with the digit and its confidence."""
    return [(enlarged(d.seen.image), f"{d.digit} ({d.confidence:.0%})") for d in reading.digits]


def number_json(path: str | None, classifier: Classifier, cfg: Config) -> dict:
    """The API's /predict_number: one image file -> {"number", "confidence", "status", "digits": [{"digit",
    "confidence"}], "left_out": [{"after", "not_digit"}]}; status as in `batch --numbers`."""
    reading = read_numbers([_load_or_raise(path, cfg, reader_for(cfg, numbers=True))], classifier)[0]
    digits = [{"digit": d.digit, "confidence": round(d.confidence, 4)} for d in reading.digits]
    left_out = [{"after": p.after, "not_digit": round(p.not_digit, 4)} for p in reading.left_out]
    status = status_of(reading, cfg.number_min_confidence, cfg.not_digit_threshold)
    return {"number": reading.text, "confidence": round(reading.confidence, 4), "status": status,
            "digits": digits, "left_out": left_out}


@dataclass(frozen=True)
class Table:
    """Several images read at once: rows for the page and the same rows as a CSV file."""

    rows: list[list]
    csv: str | None


def read_many(paths: list[str] | None, classifier: Classifier, cfg: Config, workdir: Path,
              keep_seconds: float = CSV_SECONDS) -> Table:
    """Uploaded files -> one row each (the batch CLI's columns), and a CSV written by the batch code.

    The CSV is removed `keep_seconds` after it is written: by then Gradio has copied it into its own cache."""
    if not paths:
        return Table([], None)
    found = [Found(Path(p), Path(p).name) for p in paths[:MAX_FILES]]
    page_cfg = page_limits(cfg)
    rows = list(classify_files(found, classifier, page_cfg, reader_for(cfg), workers=1))
    if len(paths) > MAX_FILES:
        rows.append(error_row(f"({len(paths) - MAX_FILES} more)", f"at most {MAX_FILES} files at once; use "
                              "`digits batch`"))
    folder = Path(tempfile.mkdtemp(dir=workdir))  # a folder each: users never clash
    out = folder / "predictions.csv"
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = CsvWriter(stream, COLUMNS)
        for row in rows:
            writer.write(row)
    remover = threading.Timer(keep_seconds, shutil.rmtree, (folder, True))
    remover.daemon = True
    remover.start()
    return Table([list(flat(row, COLUMNS).values()) for row in rows], str(out))


def _members(meta: dict[str, str]) -> str:
    """'a small CNN', or how many are averaged and how many were also trained on touching digits."""
    configs = json.loads(meta.get("training_config") or "[]")
    configs = [configs] if isinstance(configs, dict) else configs  # exported before averaging: one dict
    if len(configs) <= 1:
        return "a small CNN"
    pairs = sum(1 for c in configs if c.get("pair_fraction", 0) > 0)
    return f"{len(configs)} small CNNs averaged ({pairs} also trained on touching digits)"


def _gate(classifier: Classifier, cfg: Config) -> str:
    """What the model says about images that are no digit, for the card."""
    if not classifier.rejects:
        return "no: this model was exported before the gate and reads every image as a digit"
    families = json.loads(classifier.metadata.get("gate_families") or "[]")
    return (f"yes, at {cfg.not_digit_threshold:.0%} or more: a small CNN beside the readers (the gate), trained on "
            f"MNIST's training digits against {len(families)} families of non-digits: " + ", ".join(families))


def model_card(classifier: Classifier, cfg: Config = Config()) -> str:
    """The model's card for the page, from the metadata the export wrote into the ONNX file."""
    meta = classifier.metadata
    pct = lambda key: f"{float(meta[key]):.2%}" if key in meta else "not recorded"
    return f"""
| | |
| --- | --- |
| MNIST test (10,000 digits) | {pct("mnist_test_accuracy")} |
| Semeion (1,593 digits by other writers, never trained on) | {pct("semeion_accuracy")} |
| model | {_members(meta)}, {Path(classifier.path).stat().st_size / 1e6:.2f} MB ONNX, run by onnxruntime on the CPU |
| trained on | MNIST's 60,000 training digits (5,000 held out to choose the epoch), with augmentation |
| says "not a digit" | {_gate(classifier, cfg)} |
| exported | {meta.get("exported_at", "not recorded")} |

**Limits.** The model reads one digit at a time; numbers are cut into digits first, and digits that
touch or overlap are cut less reliably. Handwriting far from MNIST's US writers (a 1 with a long flag, very
open loops) is read less well. Confidence ranks how sure the model is; it is not a calibrated
probability of being right. "Not a digit" catches most letters, symbols and doodles, not all: a letter
written like a digit (O, l, S, Z, b, g) is read as that digit. Images are read in memory and not kept.
"""


def build_page(classifier: Classifier, cfg: Config = Config()) -> gr.Blocks:
    """The page: a sketchpad and uploads on the left, what the model reads on the right."""
    sketch_fn = lambda value: read_sketch(value, classifier, cfg)
    upload_fn = lambda path: read_upload(path, classifier, cfg)
    label_fn = lambda path: read_label(path, classifier, cfg)

    workdir = tempfile.TemporaryDirectory(prefix="digits-page-")  # the CSVs go when the server does

    def many_fn(paths):
        table = read_many(paths, classifier, cfg, Path(workdir.name))
        shown_if = lambda value: gr.update(value=value, visible=bool(value))
        return shown_if(table.rows), shown_if(table.csv)

    extensions = sorted(IMAGE_EXTENSIONS)
    pad = lambda width: dict(  # a sketchpad: black pen only, no layers, no upload, a canvas shown at 100%
        type="numpy", image_mode="RGBA", canvas_size=(width, PAD), fixed_canvas=True, layers=False, sources=(),
        transforms=(), brush=gr.Brush(default_size=PEN, colors=["#000000"], color_mode="fixed"),
    )
    title = "digits: handwritten digit reader"
    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=(3600, 3600)) as page:
        gr.Markdown("# digits\nDraw a digit or a number, or upload a photo or scan: the model says what it reads.")
        with gr.Tab("One digit", elem_id="digit-mode"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=1):
                    with gr.Tab("Draw"):
                        sketch = gr.Sketchpad(**pad(PAD), label="Draw one digit", elem_id="sketch")
                        with gr.Row(elem_classes="pad-buttons"):
                            undo = gr.Button("Undo", elem_id="undo", min_width=80)
                            clear = gr.Button("Clear", elem_id="clear", min_width=80)
                    with gr.Tab("Upload", elem_id="upload-tab"):
                        one = gr.File(label="One image", file_types=extensions, type="filepath", elem_id="one")
                        gr.Examples([str(p) for p in EXAMPLES], inputs=one, label="Examples (click one)")
                        many = gr.File(label=f"Several images (up to {MAX_FILES}): a table and a CSV",
                                       file_count="multiple", type="filepath", elem_id="many")  # every file a row
                with gr.Column(scale=1):
                    message = gr.Markdown(PROMPT, elem_id="message")
                    label = gr.Label(num_top_classes=3, label="The model reads", elem_id="label")
                    seen = gr.Image(label="What the model sees (28x28)", interactive=False, height=240,
                                    image_mode="L", buttons=[], elem_id="seen")
            table = gr.Dataframe(headers=["path", "prediction", "confidence", "status", "error"], visible=False,
                                 interactive=False, elem_id="table")
            csv = gr.File(label="Predictions as CSV", visible=False, interactive=False, elem_id="csv")
        with gr.Tab("Number", elem_id="number-mode"):
            with gr.Tab("Draw", elem_id="number-draw-tab"):
                number_sketch = gr.Sketchpad(**pad(WIDE), label="Write a number", elem_id="number-sketch")
                with gr.Row(elem_classes="pad-buttons number"):
                    number_undo = gr.Button("Undo", elem_id="number-undo", min_width=80)
                    number_clear = gr.Button("Clear", elem_id="number-clear", min_width=80)
            with gr.Tab("Upload", elem_id="number-upload-tab"):
                number_upload = gr.File(label="A photo or scan of a number", file_types=extensions, type="filepath",
                                        elem_id="number-upload")
            with gr.Row():
                number_text = gr.Textbox(label="The number read", interactive=False, elem_id="number", scale=1)
                number_message = gr.Markdown(NUMBER_PROMPT, elem_id="number-message")
            number_digits = gr.Gallery(label="Each digit as the model saw it", columns=10, height=170,
                                       object_fit="contain", allow_preview=False, elem_id="number-digits")
        with gr.Accordion("About the model", open=False):
            gr.Markdown(model_card(classifier, cfg))

        shows = [label, seen, message]
        sketch.change(sketch_fn, sketch, shows, api_name="predict_sketch", show_progress="hidden")
        clear.click(lambda: (EMPTY_SKETCH, None, None, PROMPT), None, [sketch, *shows], api_visibility="private",
                    show_progress="hidden")
        undo.click(None, js=UNDO.format(pad="sketch"))
        one.change(upload_fn, one, shows, api_visibility="private", show_progress="hidden")
        gr.Button(visible=False).click(label_fn, one, label, api_name="predict")
        many.change(many_fn, many, [table, csv], api_name="predict_many")

        number_shows = [number_text, number_digits, number_message]
        number_fn = lambda value: read_number(drawn(value), classifier, cfg)
        number_sketch.change(number_fn, number_sketch, number_shows, api_visibility="private", show_progress="hidden")
        number_clear.click(lambda: (EMPTY_SKETCH, "", [], NUMBER_PROMPT), None, [number_sketch, *number_shows],
                           api_visibility="private", show_progress="hidden")
        number_undo.click(None, js=UNDO.format(pad="number-sketch"))
        number_upload.change(lambda path: read_number_upload(path, classifier, cfg), number_upload, number_shows,
                             api_visibility="private", show_progress="hidden")
        number_file = gr.File(visible=False, type="filepath")  # the API's input; the page draws instead
        gr.Button(visible=False).click(lambda path: number_json(path, classifier, cfg), number_file,
                                       gr.JSON(visible=False), api_name="predict_number")
    return page


@dataclass(frozen=True)
class Served:
    """Where the page is being served."""

    local_url: str
    share_url: str | None
    share_error: str  # why no public link was made, when one was asked for; empty otherwise


def launch(page: gr.Blocks, host: str, port: int, share: bool, max_file_size: str = "10mb", css: str = SIZES,
           css_path: Path = ASSETS / "page.css", js_path: Path = ASSETS / "page.js", api: bool = True) -> Served:
    """Start serving in the background (the caller blocks); a failed share link is reported, not raised.

    `css`, `css_path`, `js_path`: the page's own style and script; `api`: link its API in the footer (the review
    page has its own style and script, and no API)."""
    page.queue(default_concurrency_limit=16)  # the handler takes milliseconds: do not serialise users behind one
    theme = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                              font_mono=["ui-monospace", "monospace"])  # system fonts: no request to Google Fonts
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # Gradio prints its share-link failure; we say it in one line instead
        _, local_url, share_url = page.launch(
            server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=True,
            show_error=False, max_file_size=max_file_size, ssr_mode=False, theme=theme,
            footer_links=["api"] if api else [], css_paths=[css_path], css=css, js=js_path.read_text(encoding="utf-8"),
        )
    error = ""
    if share and not share_url:
        lines = [line.strip() for line in said.getvalue().splitlines() if line.strip()]
        error = next((line for line in lines if "share" in line.lower()), "no answer from Gradio's share server")
    return Served(local_url, share_url, error)
