"""The committed pictures of the documentation (docs/images/, shown by README.md on GitHub)
say what today's gradtrace draws: redraw them with `python docs/_ext/pictures.py`."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pictures_module():
    spec = importlib.util.spec_from_file_location("doc_pictures", ROOT / "docs/_ext/pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_first_look_picture_shows_the_texts_render_draws_today(tmp_path):
    from gradtrace.viz import dot, render

    if not dot.dot_available():
        pytest.skip("no Graphviz layout program")
    fresh = tmp_path / "first-look.svg"
    render(_pictures_module().xyz(), fresh, title="f = (x + y) z")
    committed = (ROOT / "docs/images/first-look.svg").read_text(encoding="utf-8")
    assert _texts(committed) == _texts(fresh.read_text(encoding="utf-8")), (
        "docs/images/first-look.svg is out of date: run python docs/_ext/pictures.py"
    )
