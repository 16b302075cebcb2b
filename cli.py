"""digits command line: predict, info, train, export, evaluate.

Thin by design: each command parses, calls one library function, renders with rich.
Exit codes: 0 ok; 1 fatal (no model, bad data folder...); 2 usage; 3 some images could not be read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from digits.config import DEFAULT_MODEL, MODELS_DIR, Config, TrainPaths
from digits.errors import DigitsError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Handwritten digit recognition: CLI.")
out = Console()  # data (tables, JSON) on stdout
err = Console(stderr=True)  # progress and messages on stderr
DEFAULTS = Config()

DataDir = Annotated[Path, typer.Option("--data", help="Folder with the four MNIST IDX files (and semeion.data).")]
ModelPath = Annotated[Path, typer.Option("--model", help="ONNX model to use.")]


def fail(exc: DigitsError) -> typer.Exit:
    """One line on stderr, the error's exit code, no traceback."""
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(exc.exit_code)


@app.callback()
def main() -> None:
    """Handwritten digit recognition: train, export, evaluate, predict."""


@app.command()
def train(
    data: Annotated[Path | None, typer.Option("--data", help="MNIST IDX folder; omit to download via Keras.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = DEFAULTS.epochs,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for digits.keras, history, curves.")] = MODELS_DIR,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULTS.seed,
    limit: Annotated[int, typer.Option(min=0, help="Train on the first N images only (quick checks); 0 = all.")] = 0,
) -> None:
    """Train the CNN with augmentation; keeps the epoch with the best validation accuracy."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from digits.train import train as run_training

    cfg = dataclasses.replace(DEFAULTS, epochs=epochs, seed=seed, train_limit=limit)
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
            result = run_training(cfg, data, TrainPaths(out_dir), on_epoch=on_epoch, on_batch=on_batch)
        except DigitsError as exc:
            raise fail(exc) from None
    err.print(
        f"best epoch {result.best_epoch} (val acc {result.best_val_accuracy:.4f}) in {result.seconds / 60:.1f} min; "
        f"wrote {result.paths.keras}, {result.paths.history}, {result.paths.curves}"
    )


@app.command()
def export(
    keras_path: Annotated[Path, typer.Option("--keras", help="Trained Keras model.")] = MODELS_DIR / "digits.keras",
    onnx_path: Annotated[Path, typer.Option("--out", help="ONNX file to write.")] = DEFAULT_MODEL,
    data: Annotated[Path | None, typer.Option("--data", help="Data folder (mnist/, semeion/) for parity and accuracy.")] = None,
) -> None:
    """Export the Keras model to ONNX, checking parity with Keras and recording accuracy in its metadata."""
    from export.to_onnx import export_onnx

    try:
        with err.status("converting, checking parity, measuring accuracy..."):
            report = export_onnx(keras_path, onnx_path, data)
    except DigitsError as exc:
        raise fail(exc) from None
    semeion = "not measured (no --data)" if report.semeion_accuracy is None else f"{report.semeion_accuracy:.2%}"
    err.print(
        f"wrote {report.onnx_path} ({report.size_bytes / 1e6:.2f} MB); parity on {report.parity_images} images: "
        f"max |Keras - ONNX| {report.parity_max_abs_diff:.1e}; MNIST test {report.mnist_accuracy:.2%}; Semeion {semeion}"
    )


@app.command()
def evaluate(
    data: DataDir,
    model: ModelPath = DEFAULT_MODEL,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the confusion matrices and mistake grids.")] = MODELS_DIR,
) -> None:
    """Accuracy on MNIST test and Semeion, per-digit precision/recall, confusion matrix and mistakes as PNGs."""
    from rich.table import Table

    from digits.evaluate import evaluate_all

    try:
        with err.status("evaluating..."):
            results = evaluate_all(model, data, out_dir)
    except DigitsError as exc:
        raise fail(exc) from None
    for ev, pngs in results:
        table = Table(title=f"{ev.name}: accuracy {ev.accuracy:.2%} ({(ev.predicted == ev.labels).sum():,}/{len(ev.labels):,}), blank {ev.blank}")
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
) -> None:
    """Classify image files: a table of digit, confidence and top 3, or JSON."""
    import json

    from digits.batch import ERROR, classify_files
    from digits.errors import EXIT_PARTIAL
    from digits.inference import Classifier

    try:
        results = list(classify_files(images, Classifier(model), DEFAULTS))
    except DigitsError as exc:
        raise fail(exc) from None
    if as_json:
        out.print_json(json.dumps([result_record(r) for r in results]))
    else:
        from rich.table import Table

        table = Table("file", "digit", "confidence", "top 3")
        for r in results:
            if r.prediction is None or r.prediction.blank:
                table.add_row(str(r.path), r.status, "", r.error or "no ink found")
            else:
                top = "  ".join(f"{d}: {p:.1%}" for d, p in r.prediction.top(3))
                table.add_row(str(r.path), str(r.prediction.digit), f"{r.prediction.confidence:.1%}", top)
        out.print(table)
    if any(r.status == ERROR for r in results):
        raise typer.Exit(EXIT_PARTIAL)


def result_record(r) -> dict:
    """One file's result as plain JSON-able values."""
    p = r.prediction
    return {
        "path": str(r.path),
        "prediction": None if p is None or p.blank else p.digit,
        "confidence": None if p is None or p.blank else round(p.confidence, 6),
        "probabilities": None if p is None or p.blank else [round(float(v), 6) for v in p.probabilities],
        "status": r.status,
        "error": r.error,
    }


@app.command()
def info(model: ModelPath = DEFAULT_MODEL) -> None:
    """The model's metadata (accuracy, training data, versions, contract) and SHA-256."""
    import hashlib

    from rich.table import Table

    from digits.inference import Classifier

    try:
        classifier = Classifier(model)
    except DigitsError as exc:
        raise fail(exc) from None
    table = Table("key", "value", title=str(model), show_lines=False)
    table.add_row("sha256", hashlib.sha256(Path(model).read_bytes()).hexdigest())
    table.add_row("size", f"{Path(model).stat().st_size:,} bytes")
    for key in sorted(classifier.metadata):
        table.add_row(key, classifier.metadata[key])
    out.print(table)


if __name__ == "__main__":
    app()
