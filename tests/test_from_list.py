"""`batch --from-list`: the files a text, CSV or Parquet list names, read like a folder's (local engine here; Ray
and object storage in tests/test_ray.py)."""

import csv
import io
import shutil

import pytest
from conftest import ROOT, run_cli

EXAMPLES = ROOT / "examples" / "scans"


@pytest.fixture
def scans(tmp_path):
    """A folder of the example scans, and the names of six of them."""
    folder = tmp_path / "lists" / "scans"
    shutil.copytree(EXAMPLES, folder)
    return folder, sorted(p.name for p in folder.iterdir())[:6]


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_text_csv_and_parquet_lists_give_the_rows_of_the_files_they_name(scans, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder, names = scans
    entries = [f"scans/{n}" for n in names[:3]] + [str(folder / n) for n in names[3:]]  # relative and absolute
    lists = folder.parent
    (lists / "list.txt").write_text("\n".join(entries[:3]) + "\n\n" + "\n".join(entries[3:]) + "\n")
    (lists / "list.csv").write_text("id,path\n" + "".join(f"{i},{e}\n" for i, e in enumerate(entries)))
    pq.write_table(pa.table({"path": entries, "id": list(range(6))}), lists / "list.parquet")
    direct = rows(run_cli("batch", *(folder / n for n in names)).stdout)
    for kind in ("txt", "csv", "parquet"):
        result = run_cli("batch", "--from-list", lists / f"list.{kind}")
        assert result.returncode == 0, result.stderr
        listed = rows(result.stdout)
        assert [r["path"] for r in listed] == entries  # named as the list writes them
        assert [{k: v for k, v in r.items() if k != "path"} for r in listed] == [
            {k: v for k, v in r.items() if k != "path"} for r in direct]


def test_a_listed_file_that_is_missing_gets_its_error_row(scans):
    folder, names = scans
    (folder.parent / "list.txt").write_text(f"scans/{names[0]}\nscans/no-such.png\n")
    result = run_cli("batch", "--from-list", folder.parent / "list.txt")
    assert result.returncode == 3
    assert [(r["path"], r["status"]) for r in rows(result.stdout)] == [(f"scans/{names[0]}", "ok"),
                                                                        ("scans/no-such.png", "error")]


def test_bad_lists_are_one_line(tmp_path):
    (tmp_path / "no-path.csv").write_text("file\na.png\n")
    (tmp_path / "empty.txt").write_text("\n")
    cases = {tmp_path / "missing.txt": "cannot read it", tmp_path / "no-path.csv": "no `path` column",
             tmp_path / "empty.txt": "names no files"}
    for source, said in cases.items():
        result = run_cli("batch", "--from-list", source, "--out", tmp_path / "preds.csv")
        assert result.returncode == 1 and said in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "preds.csv").exists() and not (tmp_path / "preds.csv.journal").exists()
    both = run_cli("batch", EXAMPLES, "--from-list", tmp_path / "empty.txt")
    said = " ".join(both.stderr.replace("│", " ").split())  # rich's box, wrapped to the terminal
    assert both.returncode == 2 and "or --from-list LIST, one or the other" in said


def test_a_run_from_a_list_killed_outright_resumes_to_the_same_bytes(many, tmp_path):
    from test_resume import kill_at

    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in sorted(many.iterdir())))
    whole, out = tmp_path / "whole.csv", tmp_path / "preds.csv"
    assert run_cli("batch", "--from-list", listing, "--out", whole, "-q").returncode == 0
    kill_at(["--from-list", listing, "--out", out, "-q"], tmp_path / "preds.csv.journal", 500)
    done = run_cli("batch", "--from-list", listing, "--out", out, "--resume", "-q")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == whole.read_bytes()
