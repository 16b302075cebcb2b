"""`python cli.py COMMAND` from a checkout: the same command line as the installed `digits` (digits/cli.py)."""

from digits.cli import app

if __name__ == "__main__":
    app(prog_name="digits")
