"""digits command line: batch, review, predict, info, app, train, export, evaluate, data fetch.

Thin by design: each command parses, calls one library function, renders with rich.
Exit codes: 0 ok; 1 fatal (no model, bad data folder...); 2 usage; 3 some images could not be read;
4 a bug stopped a batch run (its journal keeps the rows made).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from digits.config import DEFAULT_MODEL, GATE, MEMBERS, TRAIN_DIR, Config, TrainPaths
from digits.errors import DigitsError
from digits.review_cli import review
from digits.serve import serve

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="markdown",
                  help="Handwritten digit recognition: CLI.")
out = Console()  # data (tables, JSON) on stdout
err = Console(stderr=True)  # progress and messages on stderr
DEFAULTS = Config()

DataDir = Annotated[Path | None, typer.Option(
    "--data", help="Data folder (mnist/, semeion/, usps/); default: DIGITS_DATA, else the cache of `data fetch`.")]
ModelPath = Annotated[Path, typer.Option("--model", help="ONNX model to use.")]
NotDigitThreshold = Annotated[float, typer.Option(
    min=0.0, max=1.0, help="At or above this probability of being no digit at all, status is not_digit "
    "(models exported with the gate; `info` says whether yours is); 1 sets the gate aside, as before it.")]


Dpi = Annotated[int, typer.Option(
    min=36, max=1200, help="Render PDF pages at this resolution (a page that is one scan is read at its own).")]
MaxPages = Annotated[int, typer.Option(
    min=1, help="Read at most this many pages of one document (PDF, multi-page TIFF); a row reports the rest.")]
PaperLines = Annotated[bool, typer.Option(
    "--paper-lines/--no-paper-lines", help="Clear the lines of ruled, squared and dotted paper, form boxes and comb "
    "fields before reading: for digits written on them (costs about a third more CPU per image).")]


def find_data(given: Path | None) -> Path:
    """The data folder: --data, else DIGITS_DATA, else the cache (imported here: only training commands need it)."""
    from digits.training.fetch import find_data

    return find_data(given)


def say_no_gate(model: Path) -> None:
    """Once per run, on stderr: this model cannot tell a digit from anything else, so no row is not_digit."""
    err.print(f"[yellow]note:[/yellow] {escape(str(model))} has no not_digit output (exported before the gate): "
              "every image is read as a digit; `digits export --gate` adds one", highlight=False, soft_wrap=True)


def bug(exc: Exception, kept: str) -> typer.Exit:
    """A bug stopped a batch run: one line on stderr (what was raised, what was kept), exit code 4."""
    from digits.errors import EXIT_BUG

    err.print(f"[red]error:[/red] a bug stopped the run ({type(exc).__name__}: {escape(str(exc))}){kept}; please "
              "report it", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BUG)


def fail(exc: DigitsError) -> typer.Exit:
    """One line on stderr, the error's exit code, no traceback."""
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)  # one line, however long
    return typer.Exit(exc.exit_code)


@app.callback()
def main() -> None:
    """Handwritten digit recognition: train, export, evaluate, predict."""


@app.command()
def train(
    data: DataDir = None,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = DEFAULTS.epochs,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for digits.keras, history, curves.")] = TRAIN_DIR,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULTS.seed,
    limit: Annotated[int, typer.Option(min=0, help="Train on the first N images only (quick checks); 0 = all.")] = 0,
    pair_fraction: Annotated[float, typer.Option(
        min=0, max=1, help="Extra touching-digit pairs, as a share of the training digits, trained to read as none."
    )] = DEFAULTS.pair_fraction,
    bilevel_prob: Annotated[float, typer.Option(
        min=0, max=1, help="Share redrawn as low-resolution black-and-white scans.")] = DEFAULTS.bilevel_prob,
    fill_box_prob: Annotated[float, typer.Option(
        min=0, max=1, help="Share stretched to fill the 20x20 box.")] = DEFAULTS.fill_box_prob,
    pressure_prob: Annotated[float, typer.Option(
        min=0, max=1, help="Share whose ink fades unevenly along the stroke.")] = DEFAULTS.pressure_prob,
) -> None:
    """Train the CNN with augmentation; keeps the epoch with the best validation accuracy."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from digits.training.train import train as run_training

    cfg = dataclasses.replace(DEFAULTS, epochs=epochs, seed=seed, train_limit=limit, pair_fraction=pair_fraction,
                              bilevel_prob=bilevel_prob, fill_box_prob=fill_box_prob, pressure_prob=pressure_prob)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as progress:
        epoch_task = progress.add_task("epochs", total=cfg.epochs)
        batch_task = progress.add_task("batches", total=None)

        def on_epoch(epoch: int, logs: dict) -> None:
            progress.console.print(
                f"epoch {epoch:2d}  loss {logs['loss']:.4f}  acc {logs['accuracy']:.4f}  "
                f"val_loss {logs['val_loss']:.4f}  val_acc {logs['val_accuracy']:.4f}"
            )
            progress.update(epoch_task, completed=epoch)

        def on_batch(done: int, total: int) -> None:
            progress.update(batch_task, completed=done, total=total)

        try:
            result = run_training(cfg, find_data(data), TrainPaths(out_dir), on_epoch=on_epoch, on_batch=on_batch)
        except DigitsError as exc:
            raise fail(exc) from None
    err.print(
        f"best epoch {result.best_epoch} (val acc {result.best_val_accuracy:.4f}) in {result.seconds / 60:.1f} min; "
        f"wrote {result.paths.keras}, {result.paths.history}, {result.paths.curves}"
    )


@app.command("train-gate")
def train_gate(
    data: DataDir = None,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = DEFAULTS.gate_epochs,
    width: Annotated[int, typer.Option(min=1, help="Channels of the gate's first block.")] = DEFAULTS.gate_width,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for gate.keras and history.json.")] = GATE.parent,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULTS.seed,
    limit: Annotated[int, typer.Option(
        min=0, help="Train on the first N digits and about N non-digits only (quick checks); 0 = all.")] = 0,
) -> None:
    """Train the gate: a small CNN saying whether an image is a digit at all (the readers stay as they are)."""
    from digits.training.gate import train_gate as run_training

    cfg = dataclasses.replace(DEFAULTS, gate_epochs=epochs, gate_width=width, seed=seed, train_limit=limit)
    try:
        with err.status("drawing digits and non-digits, then training...") as status:
            def on_epoch(epoch: int, logs: dict) -> None:
                err.print(f"epoch {epoch:2d}  loss {logs['loss']:.4f}  acc {logs['accuracy']:.4f}")
                status.update(f"training: epoch {epoch} of {cfg.gate_epochs} done")

            result = run_training(cfg, find_data(data), out_dir, on_epoch)
    except DigitsError as exc:
        raise fail(exc) from None
    err.print(f"{result.digits:,} digits, {result.non_digits:,} non-digits, {result.seconds / 60:.1f} min; "
              f"wrote {result.keras}, {result.history}; next: `digits export --readers models/digits.onnx`")


@app.command()
def export(
    keras_paths: Annotated[list[Path] | None, typer.Option(
        "--keras", help="Trained Keras model; repeat to average several into one graph. "
        "Default: models/digits.keras and models/pairs/digits.keras, the shipped model's two members."
    )] = None,
    onnx_path: Annotated[Path, typer.Option("--out", help="ONNX file to write.")] = TRAIN_DIR / "digits.onnx",
    data: DataDir = None,
    int8: Annotated[bool, typer.Option("--int8/--float32", help="Quantise the weights to int8 (faster).")] = True,
    gate: Annotated[Path | None, typer.Option(
        help="The gate (Keras) to put beside the readers; --no-gate for readers alone.")] = GATE,
    no_gate: Annotated[bool, typer.Option("--no-gate", help="Export the readers alone (never says not a digit).")
                       ] = False,
    gate_shift: Annotated[float, typer.Option(
        help="Added to the gate's logit: the prior of non-digits (log odds) against the balanced training.")
    ] = DEFAULTS.gate_shift,
    readers: Annotated[Path | None, typer.Option(
        help="Take the digit readers from this ONNX model as they are (its gate, if any, replaced) instead of "
        "converting the Keras members: retrains the gate apart from the readers.")] = None,
) -> None:
    """Export the readers and the gate to one ONNX graph (int8 by default), checking parity, recording accuracy."""
    from digits.training.export import export_onnx
    from digits.training.export_gate import export_with_gate

    if readers is not None and no_gate:
        raise typer.BadParameter("--readers only serves to put a gate beside them", param_hint="--no-gate")
    # the readers from Keras go beside the output first, so a gate that fails its checks leaves the old file as it was
    members = onnx_path if no_gate else onnx_path.with_name(f".{onnx_path.name}.readers.tmp")
    report = gated = None
    try:
        with err.status("converting, checking parity, quantising, measuring accuracy..."):
            data_dir = find_data(data)
            if readers is None:
                report = export_onnx(keras_paths or MEMBERS, members, data_dir, int8)
            if not no_gate:
                gated = export_with_gate(gate, readers or members, onnx_path, data_dir, int8, shift=gate_shift)
    except DigitsError as exc:
        raise fail(exc) from None
    finally:
        if members != onnx_path:
            members.unlink(missing_ok=True)
    if report is not None:
        changes = "" if report.int8_changes is None else (
            f"; int8 reads {report.int8_changes} of them otherwise, max |float32 - int8| "
            f"{report.int8_max_abs_diff:.1e}")
        err.print(f"readers: parity on {report.parity_images} images: max |Keras - ONNX float32| "
                  f"{report.parity_max_abs_diff:.1e}{changes}; MNIST test {report.mnist_accuracy:.2%}; "
                  f"Semeion {report.semeion_accuracy:.2%}")
    if gated is not None:
        p = gated.parity
        int8_note = "" if p.int8_max_diff is None else f", max |float32 - int8| {p.int8_max_diff:.1e}"
        err.print(f"gate: likeliest digit unchanged on {gated.unchanged:,} of {gated.checked:,} digits; parity on "
                  f"{p.images} images: max |Keras - ONNX| logit {p.max_logit_diff:.1e}{int8_note}; "
                  f"MNIST test called not a digit {gated.mnist_not_digit:.2%}")
    size = onnx_path.stat().st_size
    err.print(f"wrote {onnx_path} ({size / 1e6:.2f} MB)" + ("" if gated is None else " with the gate"))


@app.command()
def evaluate(
    data: DataDir = None,
    model: ModelPath = DEFAULT_MODEL,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the confusion and mistakes PNGs.")] = TRAIN_DIR,
) -> None:
    """Accuracy on MNIST test and Semeion, per-digit precision/recall, confusion matrix and mistakes as PNGs."""
    from rich.table import Table

    from digits.training.evaluate import evaluate_all

    try:
        with err.status("evaluating..."):
            results = evaluate_all(model, find_data(data), out_dir)
    except DigitsError as exc:
        raise fail(exc) from None
    for ev, pngs in results:
        right = int((ev.predicted == ev.labels).sum())
        table = Table(title=f"{ev.name}: accuracy {ev.accuracy:.2%} ({right:,}/{len(ev.labels):,}), blank {ev.blank}")
        for column in ("digit", "precision", "recall", "support"):
            table.add_column(column, justify="right")
        for digit, precision, recall, support in ev.per_class():
            table.add_row(str(digit), f"{precision:.2%}", f"{recall:.2%}", f"{support:,}")
        out.print(table)
        err.print("wrote " + ", ".join(map(str, pngs)))


@app.command()
def predict(
    images: Annotated[list[Path], typer.Argument(help="Image files to classify.", show_default=False)],
    model: ModelPath = DEFAULT_MODEL,
    as_json: Annotated[bool, typer.Option("--json", help="JSON array on stdout instead of a table.")] = False,
    numbers: Annotated[bool, typer.Option("--numbers", help="Read each image as a number of several digits.")] = False,
    not_digit_threshold: NotDigitThreshold = DEFAULTS.not_digit_threshold,
    paper_lines: PaperLines = DEFAULTS.paper_lines,
    dpi: Dpi = DEFAULTS.dpi,
    max_pages: MaxPages = DEFAULTS.max_pages,
) -> None:
    """Classify image files (a PDF's or a multi-page TIFF's pages each): a table of digit (or number), confidence and
    top 3, or JSON."""
    import json

    from digits.engines.local import CHUNK, classify_files
    from digits.errors import EXIT_PARTIAL
    from digits.files import Found
    from digits.inference import Classifier
    from digits.output import COLUMNS, flat
    from digits.reader import reader_for
    from digits.results import ERROR

    found = [Found(path, path.as_posix()) for path in images]
    try:
        cfg = dataclasses.replace(DEFAULTS, not_digit_threshold=not_digit_threshold, paper_lines=paper_lines, dpi=dpi,
                                  max_pages=max_pages)
        reader = reader_for(cfg, numbers)
        classifier = Classifier(model, gate=cfg.gate)
        rows = list(classify_files(found, classifier, cfg, reader, workers=None if len(found) > 2 * CHUNK else 1))
    except DigitsError as exc:
        raise fail(exc) from None
    if not classifier.rejects and cfg.gate:
        say_no_gate(model)
    if as_json:
        out.print_json(json.dumps([flat(row, COLUMNS + list(reader.details)) for row in rows]))
    else:
        from rich.table import Table

        table = Table("file", "number" if numbers else "digit", "confidence", "digits" if numbers else "top 3")
        for r in rows:
            if r.prediction is None:
                table.add_row(r.path, r.status, "", r.error or "no ink found")
            elif r.digit_confidences is not None:
                each = "  ".join(f"{d}: {c:.1%}" for d, c in zip(str(r.prediction), r.digit_confidences, strict=True))
                table.add_row(r.path, str(r.prediction), f"{r.confidence:.1%}", each)
            else:
                top = "  ".join(f"{d}: {p:.1%}" for d, p in r.top(3))
                table.add_row(r.path, str(r.prediction), f"{r.confidence:.1%}", top)
        out.print(table)
    if any(r.status == ERROR for r in rows):
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def batch(
    inputs: Annotated[list[str] | None, typer.Argument(
        help="Folders (walked recursively), files, or URIs such as s3://bucket/prefix (needs pyarrow).",
        show_default=False,
    )] = None,
    from_list: Annotated[str | None, typer.Option(
        "--from-list", help="Read the files a list names instead: a text file (a path or URI a line), or a CSV or "
        "Parquet file with a `path` column; local or a URI. Relative paths are read from the list's folder.",
        show_default=False)] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Output file, or - for stdout; with --engine ray and "
                                     "--from-list, a folder or prefix ending in / gets part files.")] = "-",
    fmt: Annotated[str | None, typer.Option(
        "--format", help="csv, jsonl or parquet (default: from --out's extension, else csv).")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Finish a run that was stopped: keep the rows in OUT.journal, read the files not yet done."
    )] = False,
    keep_journal: Annotated[bool, typer.Option(
        "--journal/--no-journal", help="Keep the journal that --resume needs (beside --out; costs under 5%).")] = True,
    probabilities: Annotated[bool, typer.Option("--probabilities", help="Add columns p0..p9.")] = False,
    min_confidence: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, show_default=False,
        help=f"Below this, status is low_confidence (for human review). Default: {DEFAULTS.min_confidence}, "
        f"with --numbers {DEFAULTS.number_min_confidence}.",
    )] = None,
    not_digit_threshold: NotDigitThreshold = DEFAULTS.not_digit_threshold,
    paper_lines: PaperLines = DEFAULTS.paper_lines,
    recursive: Annotated[bool, typer.Option("--recursive/--no-recursive", help="Walk sub-folders.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    model: ModelPath = DEFAULT_MODEL,
    workers: Annotated[int, typer.Option(min=0, help="Decoding processes; 0 = one per core.")] = DEFAULTS.workers,
    max_pixels: Annotated[int, typer.Option(min=1, help="Refuse larger images (checked before decoding).")] = (
        DEFAULTS.max_pixels
    ),
    dpi: Dpi = DEFAULTS.dpi,
    max_pages: MaxPages = DEFAULTS.max_pages,
    part_rows: Annotated[int, typer.Option(
        min=1, help="With --out DIR/ (part files): rows per part file, at least.")] = DEFAULTS.part_rows,
    pool: Annotated[str, typer.Option(hidden=True, help="process or thread (for benchmarks).")] = DEFAULTS.pool,
    numbers: Annotated[
        bool, typer.Option("--numbers", help="Read each image as a number: its digits in `prediction`.")
    ] = False,
    engine: Annotated[str, typer.Option(
        help="local: this machine's processes; ray: Ray Data, a local Ray or the cluster at --ray-address.",
    )] = "local",
    ray_address: Annotated[str | None, typer.Option(
        help="Ray cluster to run on (with --engine ray). Default: RAY_ADDRESS, else a local Ray on 127.0.0.1.",
    )] = None,
) -> None:
    """Classify every image under folders into CSV, JSONL or Parquet: path, prediction, confidence, status, error.

    A PDF's pages and a multi-page TIFF's are a row each, named `file.pdf#page=3`.

    Rows also go to OUT.journal as they are made; a run that is stopped (Ctrl-C, a kill, a full disk)
    leaves it, and the same command with --resume finishes the run. Exit codes: 0 every file read;
    1 nothing written (see the message); 2 usage; 3 some files could not be read (rows with status
    error); 4 a bug stopped the run (the journal keeps what was done); 130 interrupted.
    """
    from digits.engines import ENGINES, open_engine
    from digits.engines.ray_parts import is_folder, run_parts
    from digits.errors import EXIT_PARTIAL
    from digits.journal import Journal, fingerprint, journal_path
    from digits.output import FORMATS, fields, open_output, output_format
    from digits.reader import reader_for
    from digits.run import run_batch, write_manifest

    if bool(inputs) == bool(from_list):
        raise typer.BadParameter("give folders and files, or --from-list LIST, one or the other",
                                 param_hint="INPUTS")
    inputs = inputs or []
    fmt_asked = fmt
    fmt = output_format(out, fmt)
    if fmt not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}, not {fmt!r}", param_hint="--format")
    if engine not in ENGINES:
        raise typer.BadParameter(f"must be local or ray, not {engine!r}", param_hint="--engine")
    if ray_address and engine != "ray":
        raise typer.BadParameter("a Ray cluster is only used with --engine ray", param_hint="--ray-address")
    if numbers and probabilities:
        raise typer.BadParameter("p0..p9 are one digit's; with --numbers see digit_confidences", param_hint="--numbers")
    if resume and not keep_journal:
        raise typer.BadParameter("--resume needs the journal", param_hint="--no-journal")
    if resume and out == "-":
        raise typer.BadParameter("a run to stdout keeps no journal; give --out FILE", param_hint="--resume")
    cfg = dataclasses.replace(DEFAULTS, workers=workers, max_pixels=max_pixels, pool=pool, part_rows=part_rows,
                              not_digit_threshold=not_digit_threshold, paper_lines=paper_lines, dpi=dpi,
                              max_pages=max_pages)
    if min_confidence is not None:
        cfg = dataclasses.replace(cfg, **{"number_min_confidence" if numbers else "min_confidence": min_confidence})
    reader = reader_for(cfg, numbers)
    if is_folder(out):
        if engine != "ray" or not from_list:
            raise typer.BadParameter("a folder (or a prefix ending in /) gets part files, written by "
                                     "--engine ray from --from-list LIST; else give a file name", param_hint="--out")
        try:
            header = fingerprint(inputs, from_list, recursive, model, cfg, reader)
            done = run_parts(from_list, out, fmt_asked or "parquet", fields(probabilities, reader.columns), model,
                             cfg, reader, ray_address, header, resume)
        except DigitsError as exc:
            raise fail(exc) from None
        except KeyboardInterrupt:
            err.print(f"[yellow]interrupted[/yellow]; the parts so far stay in {out}: add --resume to finish",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            raise bug(exc, f"; the parts so far stay in {out}: --resume finishes the run") from None
        if not quiet:
            err.print(parts_table(done, out))
        raise typer.Exit(EXIT_PARTIAL if done.statuses.get("error") else 0)
    show = err.is_terminal and not quiet
    journal = None
    try:
        with open_engine(engine, model, cfg, reader, ray_address) as classify:
            if not classify.rejects and cfg.gate and not quiet:
                say_no_gate(model)
            header = fingerprint(inputs, from_list, recursive, model, cfg, reader) if out != "-" else {}
            if out != "-" and keep_journal:
                journal = Journal(journal_path(out), header, resume)
            with progress_bar(inputs, recursive, show, from_list) as on_row, open_output(out, fmt, fields(
                    probabilities, reader.columns)) as writer:
                summary = run_batch(inputs, writer, classify, recursive, on_row, journal, from_list)
        if out != "-":
            write_manifest(out, {**header, "model": str(Path(model).absolute())}, fmt, summary)
        if journal is not None:
            journal.remove()
    except DigitsError as exc:
        if journal is not None:
            journal.remove_if_empty()  # nothing read (no files found...): nothing to resume
        raise fail(exc) from None
    except KeyboardInterrupt:
        kept = "" if out == "-" else f"; {out} left as it was"
        kept += ", the rows so far kept: add --resume to finish" if journal is not None else ""
        err.print(f"[yellow]interrupted[/yellow]{kept}", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except Exception as exc:
        raise bug(exc, "" if journal is None else f"; the rows so far are in {journal.path}: --resume finishes the run"
                  ) from None
    if not quiet:
        err.print(summary_table(summary, out))
    if summary.statuses.get("error"):
        raise typer.Exit(EXIT_PARTIAL)


def progress_bar(inputs: list[str], recursive: bool, show: bool, from_list: str | None = None):
    """A context giving a per-result callback: a rich bar (files, images/s, ETA) on stderr, or nothing."""
    from contextlib import contextmanager, nullcontext

    if not show:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from digits.lists import entries
    from digits.walk import find_images

    @contextmanager
    def bar():
        listed = entries(from_list) if from_list else find_images(inputs, recursive)
        total = sum(1 for _ in listed)  # a names-only pass, so the bar has an end
        columns = (TextColumn("classifying"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("", total=total, rate="")
            step = max(1, total // 200)

            def on_row(row) -> None:
                progress.advance(task)
                t = progress.tasks[0]
                if t.completed % step == 0 and t.speed:
                    progress.update(task, rate=f"{t.speed:,.0f} images/s")

            yield on_row

    return bar()


def status_table(title: str, statuses):
    """A two-column table opening with the count of each status; the caller adds its own sections."""
    from rich.table import Table

    from digits.results import STATUSES

    table = Table(title=title, show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    for status in STATUSES:
        table.add_row(status, f"{statuses.get(status, 0):,}")
    table.add_section()
    return table


def parts_table(parts, out: str):
    """Counts per status, and the part files and their manifest."""
    table = status_table(f"{parts.files:,} images -> {parts.parts:,} part files in {out}", parts.statuses)
    table.add_row("manifest", "_manifest.json (parts, rows, SHA-256)")
    if parts.resumed:
        table.add_row("resumed", "yes: the parts of the stopped run kept")
    return table


def summary_table(summary, out: str):
    """Counts per status and per digit, skipped files, time and speed."""
    table = status_table(f"{summary.files:,} images -> {'stdout' if out == '-' else out}", summary.statuses)
    for digit in range(10):
        table.add_row(f"read as {digit}", f"{summary.digits.get(digit, 0):,}")
    table.add_section()
    table.add_row("other files skipped", f"{summary.walk.skipped:,}")
    if summary.walk.unreadable:
        more = " ..." if len(summary.walk.unreadable) > 3 else ""
        table.add_row("folders unreadable", ", ".join(summary.walk.unreadable[:3]) + more)
    if summary.walk.loops:
        table.add_row("folder links already walked", f"{summary.walk.loops:,}")
    if summary.resumed:
        table.add_row("rows resumed from the journal", f"{summary.resumed:,}")
    table.add_row("elapsed", f"{summary.seconds:.2f} s")
    table.add_row("speed", f"{summary.files / max(summary.seconds, 1e-9):,.0f} images/s")
    return table


data_app = typer.Typer(no_args_is_help=True, help="Get the data: MNIST, Semeion and USPS.")
app.add_typer(data_app, name="data")


@data_app.command("fetch")
def data_fetch(
    folder: Annotated[Path | None, typer.Option(
        "--dir", help="Where to store it. Default: DIGITS_DATA when set, else ~/.cache/digits.")] = None,
    mirror: Annotated[str | None, typer.Option(
        "--from", help="Base URL of a mirror laid out like the data folder (mnist/..., semeion/...).")] = None,
) -> None:
    """Download MNIST (four IDX files), Semeion and USPS from their public homes, verified by SHA-256."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from digits.training.fetch import cache_dir, fetch

    target = folder if folder is not None else cache_dir()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        tasks: dict[str, int] = {}

        def on_bytes(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total or None)
            progress.update(tasks[name], completed=done)

        try:
            fetched = fetch(target, mirror, on_bytes)
        except DigitsError as exc:
            raise fail(exc) from None
    have = "downloaded " + ", ".join(p.name for p in fetched) if fetched else "already there, verified"
    err.print(f"{target}: MNIST, Semeion and USPS {have}; use it with --data {target} or DIGITS_DATA={target}")


@app.command()
def info(model: ModelPath = DEFAULT_MODEL) -> None:
    """The model's metadata (accuracy, training data, versions, contract) and SHA-256."""
    from rich.table import Table

    from digits.files import sha256
    from digits.inference import Classifier

    try:
        classifier = Classifier(model)
    except DigitsError as exc:
        raise fail(exc) from None
    table = Table(title=str(model))
    table.add_column("key")
    table.add_column("value", overflow="fold")  # hashes in full, never cut
    table.add_row("sha256", sha256(model))
    table.add_row("size", f"{Path(model).stat().st_size:,} bytes")
    table.add_row("outputs", ", ".join(classifier.outputs))
    table.add_row("says not a digit", "yes" if classifier.rejects else "no (exported before the gate)")
    for key in sorted(classifier.metadata):
        table.add_row(key, classifier.metadata[key])
    out.print(table)


app.command("app")(serve)  # the same command as `python app_gradio.py`
app.command("review")(review)  # digits/review_cli.py: the review page and --apply
