"""The review page (`digits review`): one flagged row at a time, answered from the keyboard.

`Review` holds a review's state and answers the page's three events (an answer, back, skip) with what to show;
`build_review_page` lays it out in Gradio and wires the keys. The row shown is the page's own state, sent with
each answer, so a decision is always recorded for the row the person was looking at.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
import gradio as gr  # noqa: E402

from digits.config import Config  # noqa: E402
from digits.decisions import Journal  # noqa: E402
from digits.errors import ImageError  # noqa: E402
from digits.inference import Classifier  # noqa: E402
from digits.reader import reader_for  # noqa: E402
from digits.results import LOW_CONFIDENCE, OK  # noqa: E402
from digits.review import NOT_A_DIGIT, Batch, Item, model_answer, tally  # noqa: E402
from digits.review_images import Images  # noqa: E402
from digits.web import digit_crops, enlarged, label_value  # noqa: E402

KEYS = ("**Enter** accepts the reading shown · type the right digit(s), then **Enter** · **x** then **Enter**: "
        "not a digit · **↑** back a row · **↓** skip it")
SHOWN_SIDE = 640  # the scan is shown at most this many pixels wide and high
CACHED = 32  # rows whose pictures are kept ready (the next one is made while the person looks at this one)
ASSETS = Path(__file__).parent


@dataclass(frozen=True)
class Picture:
    """What the page shows of one row's image: the scan, what the model sees, its reading; or why not."""

    scan: np.ndarray | None  # (H, W) or (H, W, 3) uint8, at most SHOWN_SIDE a side
    seen: np.ndarray | list | None  # a digit's enlarged 28x28, or a number's captioned crops
    label: dict[str, float] | None  # the model's top 3 (or the number) with probabilities
    problem: str  # why there is no picture ("file not found", "refused: ..."); empty when there is one


class Review:
    """A review in progress: the queue, the journal, the images, and the model that shows what it saw."""

    def __init__(self, batch: Batch, journal: Journal, images: Images, classifier: Classifier, cfg: Config,
                 out: Path, note: str = ""):
        self.batch, self.journal, self.images, self.classifier, self.cfg = batch, journal, images, classifier, cfg
        self.out, self.note = out, note
        self.reader = reader_for(cfg, batch.numbers)
        self.hide_status = any(item.audit for item in batch.queue)  # an audited ok row looks like a flagged one
        self.pictures: OrderedDict[int, Future] = OrderedDict()
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="picture")
        self.lock = threading.Lock()

    def picture(self, position: int) -> Picture:
        """The row's picture, made once and kept; the next row's is started at the same time."""
        future = self._future(position)
        if position + 1 < len(self.batch.queue):
            self._future(position + 1)
        return future.result()

    def _future(self, position: int) -> Future:
        with self.lock:
            if position not in self.pictures:
                self.pictures[position] = self.pool.submit(self._make, self.batch.queue[position])
                while len(self.pictures) > CACHED:
                    self.pictures.popitem(last=False)
            return self.pictures[position]

    def _make(self, item: Item) -> Picture:
        try:
            scan = self.images.open(item.values["path"], self.cfg)
        except ImageError as exc:
            return Picture(None, None, None, str(exc))
        with scan as image:
            shown = image.convert("L" if image.mode in ("1", "L", "I;16", "I") else "RGB")
            shown.thumbnail((SHOWN_SIDE, SHOWN_SIDE))
            reading = self.reader.read([self.reader.prepare(image, self.cfg.paper_lines)], self.classifier)[0]
        if reading.blank:
            return Picture(np.asarray(shown), None, None, "")
        if self.batch.numbers:
            return Picture(np.asarray(shown), digit_crops(reading), {reading.text: round(reading.confidence, 4)}, "")
        return Picture(np.asarray(shown), enlarged(reading.seen.image), label_value(reading, self.cfg), "")

    def undecided(self, start: int = 0) -> int:
        """The first position at or after `start` (then from the top) with no decision; len(queue) when none."""
        queue, decided = self.batch.queue, self.journal.decisions
        order = list(range(start, len(queue))) + list(range(0, start))
        return next((p for p in order if queue[p].index not in decided), len(queue))

    def answer(self, text: str, position: int) -> tuple[int, str]:
        """Record an answer for the row at `position`; the next position, and a message when the answer is refused."""
        if position >= len(self.batch.queue):
            return position, ""
        item = self.batch.queue[position]
        text = text.strip().lower()
        if not text:
            text = self.journal.decisions.get(item.index) or model_answer(item) or ""
            if not text:
                return position, "The model read nothing here: type the digit(s), **x** for not a digit, or ↓ to skip."
        elif text != NOT_A_DIGIT and not (text.isdigit() and text.isascii() and (self.batch.numbers or len(text) == 1)):
            want = "the number's digits" if self.batch.numbers else "one digit, 0-9"
            return position, f"Type {want}, **x** for not a digit, or Enter alone to accept; not {text!r}."
        self.journal.decide(item.index, item.values["path"], text)
        if position + 1 < len(self.batch.queue):
            return position + 1, ""
        return self.undecided(), ""

    def progress(self, position: int) -> str:
        """'Row 12 of 57 · 45 to decide · about 3 min left at your pace', or the end."""
        queue, decided = self.batch.queue, self.journal.decisions
        left = sum(1 for item in queue if item.index not in decided)
        if position >= len(queue):
            return (f"**All {len(queue):,} rows decided.** Stopping the server (Ctrl-C) writes {self.out.name} "
                    "(`digits review --apply` too); ↑ goes back.")
        pace = self.journal.seconds_per_row()
        eta = "time left: after a few rows" if pace is None else (
            "under a minute left at your pace" if left * pace < 60 else f"about {left * pace / 60:.0f} min left at "
            "your pace")
        return f"**Row {position + 1:,} of {len(queue):,}** · {left:,} to decide · {eta}"

    def about(self, position: int, picture: Picture | None) -> str:
        """The row's file, status, what the model read and what was decided, in a few lines."""
        if position >= len(self.batch.queue):
            return self.summary()
        item = self.batch.queue[position]
        values = item.values
        status = "to check" if self.hide_status and values["status"] in (OK, LOW_CONFIDENCE) else values["status"]
        said = model_answer(item)
        reading = "not a digit" if said == NOT_A_DIGIT else (said or "nothing")
        if values["confidence"]:
            reading += f" ({float(values['confidence']):.0%} sure)"
        lines = [f"**{values['path']}** · status: {status}", f"The model read: **{reading}**"]
        if values["error"]:
            lines.append(f"Note: {values['error']}")
        if picture is not None and picture.problem:
            lines.append(f"Cannot show the image: {picture.problem}")
        decided = self.journal.decisions.get(item.index)
        if decided is not None:
            lines.append(f"Decided: **{'not a digit' if decided == NOT_A_DIGIT else decided}** (Enter keeps it)")
        return "  \n".join(lines)

    def summary(self) -> str:
        """What has been decided so far, and the audit of the ok rows when there is one."""
        t = tally(self.batch, self.journal.decisions)
        text = (f"Decided {t.decided:,} of {t.queue:,}: {t.kept:,} as the model read, {t.changed - t.not_digit:,} "
                f"corrected, {t.not_digit:,} marked not a digit.")
        if t.audit:
            a = t.audit
            text += (f"  \nAudit of the ok rows: {a.checked:,} checked, {a.changed:,} changed: an error rate of "
                     f"{a.rate:.1%} (95% interval {a.low:.1%} to {a.high:.1%}).")
        return text

    def show(self, position: int, message: str = "") -> tuple:
        """Every output of the page for `position`: state, progress, scan, seen, label, about, answer box, summary."""
        done = position >= len(self.batch.queue)
        picture = None if done else self.picture(position)
        item = None if done else self.batch.queue[position]
        said = None if item is None else self.journal.decisions.get(item.index) or model_answer(item)
        hint = "" if done else (f"Enter: {'not a digit' if said == NOT_A_DIGIT else said}" if said else
                                "type the digit(s), or x")
        about = self.about(position, picture) + (f"  \n{message}" if message else "")
        return (position, self.progress(position), None if done else picture.scan,
                None if done else picture.seen, None if done else picture.label, about,
                gr.update(value="", placeholder=hint), self.summary())


def build_review_page(review: Review) -> gr.Blocks:
    """The page: the scan on the left; what the model saw and read on the right; the answer box below."""
    numbers = review.batch.numbers
    with gr.Blocks(title=f"digits review: {review.batch.path.name}", analytics_enabled=False) as page:
        gr.Markdown(f"# Reviewing {review.batch.path.name}\n{KEYS}" + (f"  \n{review.note}" if review.note else ""))
        position = gr.State(0)
        progress = gr.Markdown(elem_id="progress")
        with gr.Row(equal_height=False):
            scan = gr.Image(label="The image as scanned", interactive=False, height=360, buttons=[], elem_id="scan")
            with gr.Column():
                if numbers:
                    seen = gr.Gallery(label="Each digit as the model saw it", columns=8, height=150,
                                      object_fit="contain", allow_preview=False, elem_id="seen")
                else:
                    seen = gr.Image(label="What the model sees (28x28)", interactive=False, height=150,
                                    image_mode="L", buttons=[], elem_id="seen")
                label = gr.Label(num_top_classes=3, label="The model reads", elem_id="label")
                about = gr.Markdown(elem_id="about")
        answer = gr.Textbox(label="Your answer", autofocus=True, lines=1, max_lines=1, elem_id="answer")
        with gr.Row():
            accept = gr.Button("Accept (Enter)", variant="primary", elem_id="accept")
            not_digit = gr.Button("Not a digit (x, Enter)", elem_id="not-digit")
            back = gr.Button("Back (↑)", elem_id="back")
            skip = gr.Button("Skip (↓)", elem_id="skip")
        summary = gr.Markdown(elem_id="summary")

        shows = [position, progress, scan, seen, label, about, answer, summary]
        quiet = dict(show_progress="hidden", api_visibility="private")
        decide = lambda text, at: review.show(*review.answer(text, at))
        answer.submit(decide, [answer, position], shows, **quiet)
        accept.click(decide, [answer, position], shows, **quiet)
        not_digit.click(lambda at: decide(NOT_A_DIGIT, at), position, shows, **quiet)
        back.click(lambda at: review.show(max(0, at - 1)), position, shows, **quiet)
        skip.click(lambda at: review.show(at + 1 if at + 1 < len(review.batch.queue) else review.undecided()),
                   position, shows, **quiet)
        page.load(lambda: review.show(review.undecided()), None, shows, **quiet)
    return page
