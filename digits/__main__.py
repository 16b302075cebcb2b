"""`python -m digits COMMAND`: the command line (digits/cli.py)."""

from digits.cli import app

app(prog_name="digits")
