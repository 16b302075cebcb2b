"""The project's own exceptions: library code raises these, the CLI and page turn them into messages."""

EXIT_OK = 0
EXIT_FATAL = 1  # nothing useful was produced: no model, bad data folder, output not writable
EXIT_USAGE = 2  # Typer's own code for a bad option or argument
EXIT_PARTIAL = 3  # the run finished, but some images could not be read (each is reported)
EXIT_BUG = 4  # an unexpected exception (a bug) stopped a batch run; its journal keeps the rows made


def first_line(exc: BaseException, limit: int = 160) -> str:
    """A third-party exception's first line, cut to `limit` characters (its type name when it says nothing)."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__


class DigitsError(Exception):
    """A user-facing problem; the message names the thing and the fix, in one line."""

    exit_code = EXIT_FATAL


class DataError(DigitsError):
    """A data folder or file is missing, incomplete or not in the expected format."""


class ModelError(DigitsError):
    """The ONNX model is missing, corrupt, or does not match the input/output contract."""


class ImageError(DigitsError):
    """One image could not be opened or decoded; the batch goes on without it."""
