"""The page as a Hugging Face Space runs it: the README's card, a fresh venv of requirements.txt alone, and
`python app_gradio.py` in a copy of the repo that is not installed, serving where GRADIO_SERVER_* say."""

import os
import shutil
import subprocess
import venv

import tomllib
from conftest import ROOT
from gradio_client import Client, handle_file
from huggingface_hub import SpaceCard
from packaging.requirements import Requirement

from bench.browser import App, free_port


def requirements() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_the_space_card_and_requirements_agree_with_the_package():
    card = SpaceCard.load(ROOT / "README.md").data
    assert card.sdk == "gradio" and (ROOT / card.app_file).is_file() and card.app_file == "app_gradio.py"
    assert card.title and card.python_version == "3.11"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert card.license == project["license"].lower()

    wanted = {r.name: r for r in requirements()}
    gradio = wanted.pop("gradio")
    assert str(gradio.specifier) == f"=={card.sdk_version}"  # the Space installs that Gradio: test the same one
    assert Requirement(project["optional-dependencies"]["app"][0]).specifier.contains(card.sdk_version)
    assert sorted(map(str, wanted.values())) == sorted(map(str, map(Requirement, project["dependencies"])))


def test_a_fresh_venv_of_requirements_txt_serves_the_page_from_a_copy_of_the_repo(tmp_path):
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    space = tmp_path / "space"  # what a push to the Space would hold: the repo's files, nothing built or ignored
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (space / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, space / name)
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DIGITS_MODEL")}
    install = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                              "requirements.txt"], cwd=space, env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-2000:]
    absent = subprocess.run([python, "-c", "import importlib.util as u; print([m for m in ('tensorflow', 'keras', "
                             "'digits') if u.find_spec(m)])"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert absent.stdout.strip() == "[]"  # no TensorFlow, and the package itself is not installed

    port = free_port()
    space_env = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "NO_COLOR": "1"}
    app = App([python, "app_gradio.py"], "page: http://", timeout=180, cwd=space, env=space_env)
    try:
        assert any(f"http://127.0.0.1:{port}" in line for line in app.lines), app.lines
        label = Client(f"http://127.0.0.1:{port}", verbose=False).predict(
            handle_file(str(ROOT / "examples" / "scans" / "7_1.webp")), api_name="/predict")
        assert label["label"] == "7"
    finally:
        app.stop()
    assert not any("Traceback" in line for line in app.lines), "\n".join(app.lines)
