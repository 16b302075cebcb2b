"""`python app_gradio.py [--share] [--host H] [--port P] [--model PATH]` from a checkout: the page, as `digits app`
(digits/serve.py)."""

import typer

from digits.serve import serve

if __name__ == "__main__":
    typer.run(serve)
