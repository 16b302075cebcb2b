"""The page's launcher: `digits app` or `python app_gradio.py` [--share] [--host H] [--port P] [--model PATH].

--host and --port default to GRADIO_SERVER_NAME and GRADIO_SERVER_PORT when set (as on a Hugging Face Space).

Thin by design: parse, build the page from the library (`digits/web.py`), serve until Ctrl-C.
Exit codes: 0 after Ctrl-C; 1 fatal (no model, port in use); 2 usage.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from digits.config import DEFAULT_MODEL

err = Console(stderr=True)


def serve(
    share: Annotated[bool, typer.Option("--share", help="Also ask Gradio for a public link (needs internet).")] = False,
    host: Annotated[str, typer.Option(envvar="GRADIO_SERVER_NAME",  # a Hugging Face Space sets both variables
                                      help="Interface to bind; 0.0.0.0 opens it to your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="GRADIO_SERVER_PORT", min=1, max=65535, help="Port to serve on.")] = 7860,
    model: Annotated[Path, typer.Option(help="ONNX model to use.")] = DEFAULT_MODEL,
) -> None:
    """Serve the page: draw or upload a digit and see what the model reads."""
    from digits.config import Config
    from digits.errors import DigitsError
    from digits.inference import Classifier

    try:
        classifier = Classifier(model, threads=Config.page_threads)
    except DigitsError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    from digits.web import build_page, launch

    page = build_page(classifier)
    try:
        served = launch(page, host, port, share)
    except OSError as exc:  # Gradio raises OSError for a port already in use
        err.print(f"[red]error:[/red] cannot serve on {host}:{port}: {escape(str(exc))}; pass another --port",
                  soft_wrap=True)
        raise typer.Exit(1) from None
    err.print(f"digits page: {served.local_url}  (Ctrl-C to stop)", highlight=False, soft_wrap=True)
    if served.share_url:
        err.print(f"public link: {served.share_url}", highlight=False, soft_wrap=True)
    elif share:
        err.print(f"[yellow]could not create a public link[/yellow] ({served.share_error}); serving locally only",
                  highlight=False, soft_wrap=True)
    try:
        while page.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        err.print("stopped")
    finally:
        page.close()
