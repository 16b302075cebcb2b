"""`digits review PREDS.csv`: review the rows the model was unsure of on a local page, or write the reviewed CSV.

Thin by design: parse, open the review (digits/review.py), serve its page (digits/review_page.py) until Ctrl-C,
render the summary with rich. Exit codes: 0 done (also when nothing needs review); 1 the CSV, its images or
its journal cannot be used (one line says which and the fix), or the port is taken; 2 usage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import signal
import time
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from digits.config import DEFAULT_MODEL, Config
from digits.errors import DigitsError

err = Console(stderr=True)


def _say(text: str) -> None:
    err.print(text, highlight=False, soft_wrap=True)


def _fail(exc: DigitsError) -> typer.Exit:
    _say(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(exc.exit_code)


def _summary(path: Path, counts, out: Path) -> Table:
    """Rows to review, decisions by kind, and the audit when there is one."""
    table = Table(title=f"{path.name} -> {out}", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    table.add_row("rows to review", f"{counts.queue:,}")
    table.add_row("decided", f"{counts.decided:,}")
    table.add_row("  as the model read", f"{counts.kept:,}")
    table.add_row("  changed", f"{counts.changed:,}")
    table.add_row("  of which to not a digit", f"{counts.not_digit:,}")
    if counts.audit:
        a = counts.audit
        table.add_section()
        table.add_row("ok rows audited", f"{a.checked:,}")
        table.add_row("  changed by the person", f"{a.changed:,}")
        table.add_row("  error rate of ok rows", f"{a.rate:.1%} (95% interval {a.low:.1%} to {a.high:.1%})")
    return table


def review(
    preds: Annotated[Path, typer.Argument(help="The CSV that `digits batch --out` wrote.", show_default=False,
                                          metavar="PREDS.csv")],
    images: Annotated[str | None, typer.Option(
        help="The folder (or URI prefix) the images are in. Default: the folder the run read, from its record "
        "beside the CSV (PREDS.csv.manifest.json).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="The reviewed CSV. Default: PREDS.reviewed.csv beside it.", show_default=False)] = None,
    only: Annotated[str, typer.Option(help="The statuses to review, comma-separated.")] = (
        "low_confidence,not_digit,blank,error"),
    sample_ok: Annotated[int | None, typer.Option(
        min=0, help="Mix N ok rows, drawn at random and not marked, into the review: the summary then says how "
        "often the person changed an ok row, with a 95% interval. Default: as the review began, else 0.",
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        help="Seed of the --sample-ok draw. Default: as the review began, else 0.", show_default=False)] = None,
    apply: Annotated[bool, typer.Option(
        "--apply", help="Write the reviewed CSV from the decisions so far; start no page.")] = False,
    host: Annotated[str, typer.Option(envvar="GRADIO_SERVER_NAME",
                                      help="Interface to bind; 0.0.0.0 opens it to your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="GRADIO_SERVER_PORT", min=1, max=65535, help="Port to serve on.")] = 7861,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")] = False,
    model: Annotated[Path, typer.Option(help="ONNX model that shows what it saw (best: the run's own).")] = (
        DEFAULT_MODEL),
    paper_lines: Annotated[bool | None, typer.Option(
        "--paper-lines/--no-paper-lines", help="Show what the model saw with paper lines cleared. Default: as the "
        "run did.", show_default=False)] = None,
) -> None:
    """Review the rows the model was unsure of, one at a time, from the keyboard; every decision is saved at once.

    Keys: Enter accepts the reading shown; type the right digit(s) then Enter; x then Enter: not a
    digit; up arrow: back a row; down arrow: skip it. Decisions go to PREDS.csv.review as they are
    made: run the same command again to go on where you stopped. The batch CSV is never changed; the
    reviewed CSV (--out) gets status `reviewed` (or not_digit) and the columns model_prediction and
    reviewed_by. Exit codes: 0 done, or nothing to review; 1 the CSV, images or journal cannot be used,
    or the port is taken (one line says which); 2 usage.
    """
    from digits.decisions import Journal
    from digits.results import STATUSES
    from digits.review import read_review, tally, write_reviewed

    statuses = [s.strip() for s in only.split(",") if s.strip()]
    if not statuses or any(s not in STATUSES for s in statuses):
        raise typer.BadParameter(f"give statuses from {', '.join(STATUSES)}, comma-separated", param_hint="--only")
    out = out or preds.with_name(preds.stem + ".reviewed.csv")
    if out.resolve() == preds.resolve():
        raise typer.BadParameter("the batch CSV is never changed; choose another file", param_hint="--out")
    if not out.parent.is_dir():
        raise typer.BadParameter(f"no folder {out.parent} to write it in", param_hint="--out")
    try:
        batch, header, decisions = read_review(preds, statuses, sample_ok, seed)
        if apply:
            if not decisions:
                raise DigitsError(f"no decisions on {preds} yet (no {preds.name}.review): run `digits review {preds}`")
            write_reviewed(batch, decisions, out)
            _say(_summary(preds, tally(batch, decisions), out))
            return
        if not batch.queue:
            counts = ", ".join(f"{n:,} {s}" for s, n in batch.statuses.items())
            _say(f"nothing to review in {preds}: no row is {' or '.join(statuses)} ({counts}); --sample-ok N "
                 "audits some ok rows")
            return
        where, classifier, cfg, note = _open(preds, images, model, paper_lines)
        journal = Journal(preds, header)
    except DigitsError as exc:
        raise _fail(exc) from None
    try:
        from digits.review_page import Review

        _serve(Review(batch, journal, where, classifier, cfg, out, note), host, port, open_browser)
    finally:
        journal.close()


def _open(preds: Path, images: str | None, model: Path, paper_lines: bool | None):
    """The images, the model and the options the run used (from its record): all checked before a journal exists."""
    from digits.files import sha256
    from digits.inference import Classifier
    from digits.review_images import images_for
    from digits.run import read_manifest

    where = images_for(preds, images)
    classifier = Classifier(model, threads=Config.page_threads)
    record = read_manifest(preds) or {}
    note = ""
    if record.get("model_sha256") not in (None, sha256(model)):
        note = f"The run used another model than {model.name}: what the model saw is this model's view."
    ran_with = record.get("options", {}).get("paper_lines", False)
    cfg = dataclasses.replace(Config(), paper_lines=ran_with if paper_lines is None else paper_lines)
    return where, classifier, cfg, note


def _serve(session, host: str, port: int, open_browser: bool) -> None:
    """Serve the review's page until Ctrl-C or SIGTERM, then write the reviewed CSV."""
    from digits.output import raise_interrupt
    from digits.review import tally, write_reviewed
    from digits.review_page import ASSETS, build_review_page
    from digits.web import launch

    batch, journal, out = session.batch, session.journal, session.out
    page = build_review_page(session)
    try:
        served = launch(page, host, port, False, css="", css_path=ASSETS / "review.css", js_path=ASSETS / "review.js",
                        api=False)
    except OSError as exc:
        _say(f"[red]error:[/red] cannot serve on {host}:{port}: {escape(str(exc))}; pass another --port")
        raise typer.Exit(1) from None
    _say(f"digits review: {served.local_url}  ({len(batch.queue):,} rows to review; decisions are saved as you go; "
         "Ctrl-C to stop)")
    if open_browser:
        webbrowser.open(served.local_url)
    previous = signal.signal(signal.SIGTERM, raise_interrupt)  # a stop by the system, as Ctrl-C
    try:
        while page.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        with contextlib.redirect_stdout(io.StringIO()):  # Gradio prints "Closing server..."; the summary says enough
            page.close()
    try:
        write_reviewed(batch, journal.decisions, out)
        _say(_summary(batch.path, tally(batch, journal.decisions), out))
    except DigitsError as exc:
        raise _fail(exc) from None
