"""The documentation: a short landing README, every page linked from it, every link resolving, every picture with
the command that makes it."""

import re
from pathlib import Path

from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "models" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.png)\)|<img [^>]*src=\"([^\"]+\.png)\"")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    titles = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", t.strip().lower()).replace(" ", "-") for t in titles}


def links(page: Path) -> list[str]:
    return [a or b for a, b in LINK.findall(page.read_text(encoding="utf-8"))]


def test_the_readme_is_a_landing_page_that_links_every_docs_page():
    readme = ROOT / "README.md"
    assert readme.stat().st_size < 12_000
    linked = {(ROOT / target.split("#")[0]).resolve() for target in links(readme) if not target.startswith("http")}
    assert set(p.resolve() for p in (ROOT / "docs").glob("*.md")) <= linked


def test_every_link_resolves():
    broken = []
    for page in PAGES:
        for target in links(page):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_every_picture_says_the_command_that_makes_it():
    """Within the lines after a picture, its caption names the script or command that made it."""
    missing = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in IMAGE.finditer(text):
            after = text[match.start(): match.end() + 700]
            if not re.search(r"(python |digits )(bench/\w+\.py|cli\.py|-m digits)|`digits \w+", after):
                missing.append(f"{page.relative_to(ROOT)}: {match.group(1) or match.group(2)}")
    assert missing == []
