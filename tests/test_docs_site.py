"""The documentation site as built by `make docs` (docs/_build/html): every internal link and
anchor resolves, nothing is loaded from another host, the API reference names every public
name, and three pages open in headless Chromium with no console error and no network request.

Runs from `make docs-check` (in CI, right after `make docs`), which sets GRADTRACE_DOCS_SITE;
a missing site then fails. Without it (in `make test`) these tests skip: a site built before
the last change to the code would be judged on stale pages."""

import html.parser
import importlib
import os
import re
import types
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_browser import _pixels, _requests, _severe, browser  # noqa: F401 - the fixture

SITE = Path(os.environ.get("GRADTRACE_DOCS_SITE", "docs/_build/html")).resolve()
PUBLIC = (
    "gradtrace",
    "gradtrace.gates",
    "gradtrace.nn",
    "gradtrace.viz",
    "gradtrace.micrograd",
    "gradtrace.micrograd.nn",
)
LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src"}

if not os.environ.get("GRADTRACE_DOCS_SITE"):
    pytestmark = pytest.mark.skip(reason="the docs site is checked by `make docs docs-check`")
elif not (SITE / "index.html").exists():
    raise RuntimeError(f"GRADTRACE_DOCS_SITE={SITE}: no index.html there (run `make docs`)")


class Links(html.parser.HTMLParser):
    """Every id in a page, every link it follows (href) and every address it loads (src)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag in LOADING and attrs.get(LOADING[tag]):
            self.loads.append(attrs[LOADING[tag]])
        if tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: Path, cache: dict = {}) -> Links:  # noqa: B006 - a cache across tests
    if path not in cache:
        parsed = Links()
        parsed.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parsed
    return cache[path]


def _pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts)


def _broken(page: Path, address: str, anchors: bool) -> str | None:
    """Why an internal address from `page` does not resolve, or None."""
    parts = urlsplit(address)
    if parts.scheme or address.startswith("//") or address.startswith("data:"):
        return None
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return f"{page.relative_to(SITE)}: {address} (no {target})"
    explorer = "gradtrace-explorer" in target.read_text(encoding="utf-8", errors="replace")
    fragment = unquote(parts.fragment)
    if anchors and fragment and target.suffix == ".html" and not explorer:
        if fragment not in _parse(target).ids:
            return f"{page.relative_to(SITE)}: {address} (no id {fragment!r} there)"
    return None


def test_every_internal_link_and_anchor_resolves():
    pages = _pages()
    assert len(pages) > 20, pages
    broken = []
    for page in pages:
        parsed = _parse(page)
        broken += [_broken(page, a, anchors=True) for a in parsed.links]
        broken += [_broken(page, a, anchors=False) for a in parsed.loads]
    assert [b for b in broken if b] == []


def test_nothing_is_loaded_from_another_host():
    remote = []
    for page in _pages():
        for address in _parse(page).loads:
            if re.match(r"^(https?:)?//", address):
                remote.append(f"{page.relative_to(SITE)}: {address}")
    assert remote == []
    for css in (SITE / "_static").rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", css.read_text()), css


def test_every_notebook_has_its_page_with_its_outputs():
    import json

    notebooks = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        page = SITE / "notebooks" / f"{notebook.stem}.html"
        assert page.exists(), page
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        outputs = sum(len(c.get("outputs", [])) for c in cells)
        shown = page.read_text(encoding="utf-8").count('class="cell_output')
        assert shown > 0 or outputs == 0, notebook.name


def _inventory() -> dict[str, str]:
    """objects.inv: name -> role (Sphinx's format 2: four text lines, then zlib)."""
    raw = (SITE / "objects.inv").read_bytes()
    body = zlib.decompress(raw.split(b"\n", 4)[4]).decode()
    names = {}
    for line in body.splitlines():
        match = re.match(r"(\S+)\s+(\S+):(\S+)\s", line)
        if match:
            names[match.group(1)] = match.group(3)
    return names


def test_api_reference_names_every_public_name():
    documented = _inventory()
    missing = []
    for package in PUBLIC:
        module = importlib.import_module(package)
        names = getattr(module, "__all__", None) or [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == package
        ]
        assert names, package
        for name in names:
            full = f"{package}.{name}"
            kind = "module" if isinstance(getattr(module, name), types.ModuleType) else None
            if full not in documented or (kind and documented[full] != kind):
                missing.append(full)
    assert missing == []
    assert "gradtrace.cli.main" in documented
    cli = (SITE / "api" / "cli.html").read_text(encoding="utf-8")
    for option in ("--wrt", "--steps", "--no-train", "draw", "explain", "demo"):
        assert option in cli, option


def _load(driver, path: Path):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.as_uri())
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def _looked_at(driver, page: Path):
    """A screenshot that is not blank, no console error, no request off this disk."""
    image = _pixels(driver.get_screenshot_as_png())[..., :3].mean(axis=2)
    assert image.std() > 0.05, f"{page.name} looks blank"
    assert _severe(driver) == [], page.name
    remote = [u for u in _requests(driver) if not u.startswith(("file:", "data:", "about:"))]
    assert remote == [], page.name
    if os.environ.get("GRADTRACE_DOCS_SCREENSHOTS"):
        folder = Path(os.environ["GRADTRACE_DOCS_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(folder / f"{page.stem}.png"))


def test_front_page_shows_the_first_picture(browser):  # noqa: F811
    page = SITE / "index.html"
    _load(browser, page)
    width = browser.execute_script(
        "var i = document.querySelector('img[src$=\"first-look.svg\"]');"
        "return i && i.complete ? i.naturalWidth : 0;"
    )
    assert width > 100
    _looked_at(browser, page)


def test_a_notebook_page_renders_its_math_and_outputs(browser):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    page = SITE / "notebooks" / "05_entropy_cross_entropy.html"
    _load(browser, page)
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.querySelectorAll('mjx-container').length")
    )
    outputs = browser.execute_script("return document.querySelectorAll('.cell_output').length")
    assert outputs > 3
    _looked_at(browser, page)


def test_the_embedded_explorer_steps_through_the_graph(browser):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    page = SITE / "guide" / "pictures.html"
    _load(browser, page)
    frame = browser.find_element("css selector", "iframe.gt-explorer-frame")
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    browser.switch_to.frame(frame)
    try:
        WebDriverWait(browser, 10).until(
            lambda d: d.execute_script(
                "var r = document.querySelector('.gradtrace-explorer');"
                "return r && r.dataset.ready === '1';"
            )
        )
        root = browser.find_element("css selector", ".gradtrace-explorer")
        assert int(root.get_attribute("data-steps")) > 3
    finally:
        browser.switch_to.default_content()
    _looked_at(browser, page)
