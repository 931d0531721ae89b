"""The explorer page in a real browser: headless Chromium driven by Selenium (with Debian's
chromedriver). Skipped with a message where Chromium, chromedriver or selenium is absent; under
CI=true their absence fails the run (`make setup` installs them)."""

import io
import json
import os
import re
import shutil
import tempfile

import pytest
from gradtrace import Value
from gradtrace.viz.dot import dot_available
from gradtrace.viz.html import explore, to_html
from reference import IN_CI, require

PAGE_LOAD_SECONDS = 20
SCRIPT_SECONDS = 10
WAIT_SECONDS = 5
HINT = "`make setup` installs Debian's chromium and chromium-driver (scripts/ensure-chromium.sh)"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {what} is missing: {HINT}", pytrace=False)
    pytest.skip(f"{what} is missing: {HINT}")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    _missing("Chromium (the `chromium` program)")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, with timeouts, always quit at the end."""
    require("selenium", "pip install selenium (the `dev` extra)")
    if not dot_available():
        _missing("Graphviz's `dot`")
    binary = _chromium()
    driver_path = shutil.which("chromedriver") or _missing("chromedriver (chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="gradtrace-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",  # we run as root in CI
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
        driver.set_script_timeout(SCRIPT_SECONDS)
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _xyz():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The (x+y)z page (lecture: f = -12, df/dx = df/dy = -4, df/dz = 3)."""
    if not dot_available():
        _missing("Graphviz's `dot`")
    return to_html(_xyz(), tmp_path_factory.mktemp("page") / "xyz.html")


def _data(path):
    text = path.read_text(encoding="utf-8")
    blob = re.search(r'<script type="application/json" class="gt-data">(.*?)</script>', text, re.S)
    return json.loads(blob.group(1))


def _open(driver, path, fragment=""):
    """Load the page fresh (a new document, so its logs and state are its own) and wait for
    the script to have set it up."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(path.as_uri() + fragment)
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "var r = document.querySelector('.gradtrace-explorer');"
            "return r && r.dataset.ready === '1';"
        )
    )
    return driver.find_element("css selector", ".gradtrace-explorer")


def _requests(driver):
    """Every URL the page asked the network layer for (DevTools Network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _severe(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_page_loads_with_no_console_error_and_no_network_request(browser, page):
    _open(browser, page)
    assert _severe(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    # The only request is the page itself, from file://.
    assert set(_requests(browser)) == {page.as_uri()}
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text


def test_the_network_check_sees_an_external_reference(browser, tmp_path):
    # The same checks on a page that does fetch something: they must notice (the port is
    # closed, so nothing leaves the machine).
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<div class="gradtrace-explorer" data-ready="1"></div><img src="http://127.0.0.1:9/x.png">',
        encoding="utf-8",
    )
    _open(browser, bad)
    assert "http://127.0.0.1:9/x.png" in _requests(browser)


def test_fragment_opens_that_step(browser, page):
    data = _data(page)
    k = len(data["steps"]) - 2  # a backward step
    root = _open(browser, page, f"#step={k}")
    assert root.get_attribute("data-step") == str(k)
    assert root.get_attribute("data-steps") == str(len(data["steps"]))
    caption = browser.find_element("css selector", ".gt-caption").text
    assert caption == data["steps"][k]["caption"]
    shown = browser.find_elements("css selector", ".gt-frame:not([hidden])")
    assert [f.get_attribute("data-frame") for f in shown] == [str(data["steps"][k]["frame"])]


def test_right_arrow_advances_and_updates_the_fragment(browser, page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    last = len(_data(page)["steps"]) - 1
    root = _open(browser, page, "#step=2")
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert root.get_attribute("data-step") == "3"
    assert browser.execute_script("return location.hash") == "#step=3"
    ActionChains(browser).send_keys(Keys.ARROW_LEFT).send_keys(Keys.ARROW_LEFT).perform()
    assert root.get_attribute("data-step") == "1"
    ActionChains(browser).send_keys(Keys.END).perform()
    assert root.get_attribute("data-step") == str(last)
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()  # stays on the last step
    assert root.get_attribute("data-step") == str(last)
    ActionChains(browser).send_keys(Keys.HOME).perform()
    assert browser.execute_script("return location.hash") == "#step=0"


def test_buttons_and_slider_move_between_steps(browser, page):
    root = _open(browser, page)
    browser.find_element("css selector", ".gt-next").click()
    browser.find_element("css selector", ".gt-next").click()
    assert root.get_attribute("data-step") == "2"
    browser.find_element("css selector", ".gt-prev").click()
    assert root.get_attribute("data-step") == "1"
    browser.execute_script(
        "var s = arguments[0]; s.value = 4; s.dispatchEvent(new Event('input'));",
        browser.find_element("css selector", ".gt-slider"),
    )
    assert root.get_attribute("data-step") == "4"
    assert browser.find_element("css selector", ".gt-counter").text.startswith("step 4 of")
    zoom = browser.find_element("css selector", ".gt-zoom")
    assert zoom.text == "1:1"  # (x+y)z fits the window
    zoom.click()
    assert "gt-zoomed" in root.get_attribute("class") and zoom.text == "fit"
    svg = browser.find_element("css selector", ".gt-frame:not([hidden]) svg")
    assert svg.value_of_css_property("width").endswith("px")


def test_play_steps_on_by_itself_and_pause_stops_it(browser, page):
    from selenium.webdriver.support.ui import WebDriverWait

    root = _open(browser, page)
    button = browser.find_element("css selector", ".gt-play")
    button.click()
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: root.get_attribute("data-step") != "0")
    assert button.text == "pause"
    button.click()
    assert button.text == "play"
    stopped = root.get_attribute("data-step")
    assert (
        browser.execute_async_script(
            "var done = arguments[0]; setTimeout(function () {"
            " done(document.querySelector('.gradtrace-explorer').dataset.step); }, 1000);"
        )
        == stopped
    )


def _node_group(driver, dot_name):
    """The visible SVG group of the node Graphviz names `dot_name` (n3, w3, ...): the page
    keeps that name as data-name (its <title> says the node in words)."""
    for g in driver.find_elements("css selector", ".gt-frame:not([hidden]) g.node"):
        if g.get_attribute("data-name") == dot_name:
            return g
    raise AssertionError(f"no node {dot_name} in the visible frame")


def test_clicking_a_node_shows_its_panel_and_hovering_another_shows_that_one(browser, page):
    from selenium.webdriver.common.action_chains import ActionChains

    data = _data(page)
    plus = next(i for i, n in enumerate(data["nodes"]) if n["op"] == "+")
    x = next(i for i, n in enumerate(data["nodes"]) if n["name"] == "x")
    last = len(data["steps"]) - 1
    _open(browser, page, f"#step={last}")
    ActionChains(browser).move_to_element(_node_group(browser, f"n{plus}")).click().perform()
    panel = browser.find_element("css selector", ".gt-panel")
    assert panel.find_element("css selector", "h2").text == "add"  # explain's name for it
    values = [dd.text for dd in panel.find_elements("css selector", "dd")]
    assert values[:2] == ["3", "-4"]  # x + y = 3; df/dq = z = -4 (lecture)
    locals_ = [td.text for td in panel.find_elements("css selector", ".gt-locals td")]
    assert locals_ == ["1", "1"]  # the add gate's local gradients
    ActionChains(browser).move_to_element(_node_group(browser, f"w{x}")).perform()
    assert panel.find_element("css selector", "h2").text == "x"
    assert [dd.text for dd in panel.find_elements("css selector", "dd")][:2] == ["-2", "-4"]
    chain = [p.text for p in panel.find_elements("css selector", ".gt-explain")]
    assert chain[0] == "df/dx = df/dadd · dadd/dx = -4 × 1 = -4"  # viz.explain's sum
    assert chain[1:] == ["df/dadd · dadd/dx = -4 × 1 = -4"]  # its one path, from data.factors
    # Leaving the picture brings back the node that was clicked.
    ActionChains(browser).move_to_element(browser.find_element("css selector", "h1")).perform()
    assert panel.find_element("css selector", "h2").text == "add"


def test_a_gates_panel_shows_its_lecture_formula_as_text(browser, tmp_path):
    from gradtrace import gate
    from selenium.webdriver.common.action_chains import ActionChains

    hostile = "<img src=x onerror=window.x=1> d/da = 2a"
    square = gate("square", formula=hostile)(lambda a: (a * a, (2 * a,)))
    f = square(Value(3.0, "x")) * Value(2.0, "w")
    f.backward()
    path = to_html(f, tmp_path / "formula.html")
    data = _data(path)
    _open(browser, path, f"#step={len(data['steps']) - 1}")
    panel = browser.find_element("css selector", ".gt-panel")
    shown = {}
    for op in ("*", "square"):
        i = next(k for k, n in enumerate(data["nodes"]) if n["op"] == op)
        ActionChains(browser).move_to_element(_node_group(browser, f"n{i}")).click().perform()
        shown[op] = panel.find_element("css selector", ".gt-formula").text
    assert shown == {"*": "formula: d/da = b, d/db = a", "square": f"formula: {hostile}"}
    assert panel.find_elements("css selector", "img") == []  # written as text, never as HTML
    assert browser.execute_script("return window.x") is None


def test_forward_steps_dim_what_is_not_computed_yet(browser, page):
    data = _data(page)
    times = next(i for i, n in enumerate(data["nodes"]) if n["op"] == "*")
    _open(browser, page, "#step=1")  # the + gate has run, the * gate not yet
    assert "gt-pending" in _node_group(browser, f"n{times}").get_attribute("class")
    _open(browser, page, f"#step={data['nodes'][times]['forward']}")
    assert "gt-current" in _node_group(browser, f"n{times}").get_attribute("class")


def _pixels(png: bytes):
    import numpy as np

    require("matplotlib", "pip install matplotlib (the `dev` extra)")
    import matplotlib.image

    return np.asarray(matplotlib.image.imread(io.BytesIO(png), format="png"))


def test_screenshot_at_1280_by_800_is_not_blank(browser, page):
    import numpy as np

    _open(browser, page, "#step=3")
    image = _pixels(browser.get_screenshot_as_png())
    assert image.shape[:2] == (800, 1280)
    grey = image[..., :3].mean(axis=2)
    assert grey.std() > 0.05  # a blank (one-colour) page has 0
    dark = np.mean(grey < 0.5)
    assert 0.005 < dark < 0.5  # lines and text, but not a black screen


def test_two_two_two_network_page_steps_to_the_end(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from test_value_worked_examples import _two_two_two, _weights

    error, _ = _two_two_two(_weights())  # lecture 003's network
    path = to_html(error, tmp_path / "two_two_two.html")
    data = _data(path)
    root = _open(browser, path, "#step=12")
    assert _severe(browser) == []
    assert root.get_attribute("data-steps") == str(len(data["steps"]))
    assert _pixels(browser.get_screenshot_as_png())[..., :3].std() > 0.05
    ActionChains(browser).send_keys(Keys.END).perform()
    assert root.get_attribute("data-step") == str(len(data["steps"]) - 1)
    w1 = next(i for i, n in enumerate(data["nodes"]) if n["name"] == "w1")
    ActionChains(browser).move_to_element(_node_group(browser, f"w{w1}")).click().perform()
    panel = browser.find_element("css selector", ".gt-panel")
    assert panel.find_element("css selector", "h2").text == "w1"
    # dE/dw1 from the notes' update: (0.15 - 0.14978072) / 0.5 = 0.00043856, at four
    # significant digits (issue 19: 0.00043856 reads 0.0004386 everywhere)
    assert [dd.text for dd in panel.find_elements("css selector", "dd")][1] == "0.0004386"


def test_a_tensor_gradient_shows_row_by_row_at_the_last_step(browser, tmp_path):
    # The Tensor 2-2-2: dE/dW under 0.weight is a 2x2 grid, as draw() shows it (it was one
    # red line of nested lists), and its words for a screen reader still give every number.
    from test_viz_matrix_pictures import two_two_two

    _, E = two_two_two()
    path = to_html(E, tmp_path / "tensor_222.html")
    data = _data(path)
    w = next(i for i, n in enumerate(data["nodes"]) if n["name"] == "0.weight")
    _open(browser, path, f"#step={len(data['steps']) - 1}")
    assert _severe(browser) == []
    shown = browser.execute_script(
        "var g = arguments[0];"
        "return Array.prototype.filter.call(g.querySelectorAll('text.gt-grad'),"
        "  function (t) { return t.textContent; }).map(function (t) {"
        "  var b = t.getBoundingClientRect(); return [t.textContent, Math.round(b.top)]; });",
        _node_group(browser, f"w{w}"),
    )
    assert [t for t, _ in shown] == ["0.0004386", "0.0008771", "0.0004977", "0.0009954"]
    tops = [y for _, y in shown]
    assert tops[0] == tops[1] < tops[2] == tops[3]  # two rows, one under the other
    said = _node_group(browser, f"n{w}").find_element("css selector", "title")
    assert "gradient [[0.0004386, 0.0008771], [0.0004977, 0.0009954]]" in said.get_attribute(
        "textContent"
    )
    _open(browser, path, "#step=0")  # forward: no gradient yet, the grid is blank
    blank = browser.execute_script(
        "return Array.prototype.map.call(arguments[0].querySelectorAll('text.gt-grad'),"
        "  function (t) { return t.textContent; }).join('');",
        _node_group(browser, f"w{w}"),
    )
    assert blank == ""


def test_two_explorers_on_one_page_keep_their_own_state(browser, tmp_path):
    # What a notebook with two explore() outputs holds: each steps on its own.
    a, b = explore(_xyz()), explore(_square_plus())
    both = tmp_path / "two.html"
    both.write_text(
        f"<!DOCTYPE html><html><body>{a._repr_html_()}{b._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    _open(browser, both)
    roots = browser.find_elements("css selector", ".gradtrace-explorer")
    assert len({r.get_attribute("id") for r in roots}) == 2
    roots[1].find_element("css selector", ".gt-next").click()
    assert [r.get_attribute("data-step") for r in roots] == ["0", "1"]
    assert browser.execute_script("return location.hash") == ""  # a notebook's URL is its own
    assert _severe(browser) == []


def _square_plus():
    """a * a + a at a = 3 (by hand: 12, gradient 2a + 1 = 7)."""
    a = Value(3.0, "a")
    g = a * a + a
    g.backward()
    return g


# ---------------------------------------------------------------------------- accessibility
AXE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".axe")
AXE_JS = os.path.join(AXE, "node_modules", "axe-core", "axe.min.js")


def _axe_violations(driver):
    """axe-core's violations on the page as it is now: every rule axe runs by default (WCAG 2.0,
    2.1 A and AA, best practices), in the browser, on the live DOM."""
    if not os.path.isfile(AXE_JS):
        _missing("axe-core (npm; `make axe` installs it into .axe/)")
    with open(AXE_JS, encoding="utf-8") as f:
        driver.execute_script(f.read())
    version = driver.execute_script("return axe.version")
    assert version.startswith("4."), version
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(function (r) { done(r.violations.map(function (v) {"
        "  return [v.id, v.impact, v.nodes.map(function (n) { return n.target.join(' '); })];"
        "})); }, function (e) { done([['axe failed', String(e), []]]); });"
    )


def _two_two_two_page(tmp_path):
    from test_value_worked_examples import _two_two_two, _weights

    error, _ = _two_two_two(_weights())
    error.backward()
    return to_html(error, tmp_path / "two_two_two.html")


def test_axe_core_finds_no_violation_at_the_first_and_the_last_step(browser, page, tmp_path):
    browser.set_script_timeout(60)
    from test_viz_matrix_pictures import two_two_two

    tensors = to_html(two_two_two()[1], tmp_path / "tensor_222.html")  # gradients as grids
    for path in (page, _two_two_two_page(tmp_path), tensors):
        last = len(_data(path)["steps"]) - 1
        for k in (0, last):
            _open(browser, path, f"#step={k}")
            assert _axe_violations(browser) == [], (path.name, k)
        # and with a node's panel open and the table shown
        browser.find_element("css selector", "g[role=button]").send_keys("\n")
        browser.find_element("css selector", ".gt-table summary").click()
        assert _axe_violations(browser) == [], (path.name, "panel and table open")


def test_every_node_is_reached_opened_and_closed_with_the_keyboard(browser, page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    data = _data(page)
    last = len(data["steps"]) - 1
    _open(browser, page, f"#step={last}")
    stops = browser.find_elements("css selector", ".gt-frame g[role=button]")
    assert sorted(int(g.get_attribute("data-node")) for g in stops) == list(
        range(len(data["nodes"]))
    )
    # Tab from the zoom button walks through the nodes, in the picture's order.
    browser.find_element("css selector", ".gt-zoom").click()
    browser.find_element("css selector", ".gt-zoom").click()
    reached = []
    for _ in stops:
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        assert focused.get_attribute("role") == "button"
        reached.append(int(focused.get_attribute("data-node")))
        # focus is visible: the node's outline is drawn
        outline = browser.execute_script(
            "var e = document.activeElement, s = getComputedStyle(e);"
            "return [s.outlineStyle, s.outlineWidth];"
        )
        assert outline[0] != "none" and outline[1] != "0px"
    assert sorted(reached) == list(range(len(data["nodes"])))
    # Enter opens the node's panel and moves the focus into it; Escape closes it and gives the
    # focus back to the node.
    plus = next(i for i, n in enumerate(data["nodes"]) if n["op"] == "+")
    node = browser.find_element("css selector", f'g[role=button][data-node="{plus}"]')
    browser.execute_script("arguments[0].focus()", node)
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    panel = browser.find_element("css selector", ".gt-panel")
    assert panel.find_element("css selector", "h2").text == "add"
    assert browser.switch_to.active_element.tag_name == "h2"
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert panel.find_elements("css selector", "h2") == []
    assert browser.switch_to.active_element.get_attribute("data-node") == str(plus)


def test_each_node_says_itself_in_words_and_each_step_is_announced(browser, page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    data = _data(page)
    plus = next(i for i, n in enumerate(data["nodes"]) if n["op"] == "+")
    last = len(data["steps"]) - 1

    def title():
        g = browser.find_element("css selector", f'g[role=button][data-node="{plus}"]')
        return g.find_element("css selector", "title").get_attribute("textContent")

    _open(browser, page, f"#step={last}")
    assert title() == "add = x + y = -2 + 5 = 3, gradient -4, local gradients 1 (x), 1 (y)"
    _open(browser, page, "#step=0")
    assert title() == "add, the + gate: not computed yet"
    caption = browser.find_element("css selector", ".gt-caption")
    assert caption.get_attribute("aria-live") == "polite"
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert caption.text == data["steps"][1]["caption"]  # what a screen reader then reads
    assert title() == "add = x + y = -2 + 5 = 3, no gradient yet, local gradients 1 (x), 1 (y)"


def test_the_values_and_gradients_are_also_a_table(browser, page):
    _open(browser, page)
    browser.find_element("css selector", ".gt-table summary").click()
    rows = browser.find_elements("css selector", ".gt-table tbody tr")
    cells = {
        r.find_element("css selector", "th").text: [
            td.text for td in r.find_elements("css selector", "td")
        ]
        for r in rows
    }
    assert cells["x"][1:3] == ["-2", "-4"]
    assert cells["add"][:3] == ["the + gate", "3", "-4"]
    assert cells["z"][1:3] == ["-4", "3"]


def test_the_axe_check_sees_a_violation(browser, tmp_path):
    # The same check on a page with an unnamed button and grey-on-grey text: it must notice.
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>bad</title></head><body><main>'
        '<h1>bad</h1><button type="button"></button><p style="color:#aaa;background:#bbb">'
        'faint</p><div class="gradtrace-explorer" data-ready="1"></div></main></body></html>',
        encoding="utf-8",
    )
    _open(browser, bad)
    found = {rule for rule, _, _ in _axe_violations(browser)}
    assert {"button-name", "color-contrast"} <= found


def test_worksheet_page_gives_feedback_on_every_wire(browser, tmp_path):
    """Typed gradients of the notes' (x + y) z are named as check_answers names them, and
    written into the picture in green (right) or red."""
    from gradtrace import check_answers
    from gradtrace.viz import worksheet
    from selenium.webdriver.support.ui import WebDriverWait

    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    path = worksheet(f).save(tmp_path / "sheet.html")
    browser.get("about:blank")
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(path.as_uri())
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.body.dataset.ready === '1';")
    )
    typed = {"x": "1", "y": "-4", "z": "-4", "q": "4", "f": "1"}
    for label, value in typed.items():
        box = browser.find_element("css selector", f'input[data-label="{label}"]')
        box.send_keys(value)
    got = browser.execute_script(
        "const out = {};"
        "document.querySelectorAll('#answers input').forEach((box, i) => {"
        "  out[box.dataset.label] = document.getElementById('fb' + i).dataset.cause; });"
        "return out;"
    )
    want = check_answers(f, {k: float(v) for k, v in typed.items()}).causes()
    assert (
        got
        == want
        == {
            "x": "forgot-upstream",
            "y": "correct",
            "z": "mul-gate-uses-own-input",
            "q": "sign-error",
            "f": "correct",
        }
    )
    filled = browser.execute_script(
        "return [...document.querySelectorAll('#sheet text[data-blank]')]"
        ".map(t => [t.textContent, t.getAttribute('fill')]);"
    )
    assert sorted(map(tuple, filled)) == sorted(
        [("1", "#c62828"), ("-4", "#2e7d32"), ("-4", "#c62828"), ("4", "#c62828"), ("1", "#2e7d32")]
    )
    assert not _severe(browser) and _requests(browser) == [path.as_uri()]


def test_worksheet_page_has_a_box_for_every_blank_of_the_neuron_gates_too(browser, tmp_path):
    """The sigmoid neuron's 13 blanks (7 of them unlabelled gates' outputs) each get a box in
    reading order; typed answers for the gates are judged as Worksheet.check judges them and
    written into the picture under the wire the picture names."""
    from gradtrace.viz import worksheet
    from selenium.webdriver.support.ui import WebDriverWait

    w0, x0, w1, x1, w2 = (
        Value(v, n)
        for v, n in zip((2.0, -1.0, -3.0, -2.0, -3.0), ("w0", "x0", "w1", "x1", "w2"), strict=True)
    )
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.label = "f"
    ws = worksheet(f)
    path = ws.save(tmp_path / "sheet.html")
    browser.get("about:blank")
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(path.as_uri())
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.body.dataset.ready === '1';")
    )
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('#answers input')].map(b => b.dataset.label);"
    )
    assert boxes == ws.asked and len(boxes) == 13 and boxes.index("w0") < boxes.index("w1")
    typed = {"mul1": "0.2", "exp": "0.53", "add3": "-0.53", "neg": "-0.2"}
    for name, value in typed.items():
        browser.find_element("css selector", f'input[data-label="{name}"]').send_keys(value)
    got = browser.execute_script(
        "const out = {};"
        "document.querySelectorAll('#answers input').forEach((box, i) => {"
        "  const cause = document.getElementById('fb' + i).dataset.cause;"
        "  if (cause) out[box.dataset.label] = cause; });"
        "return out;"
    )
    want = ws.check({k: float(v) for k, v in typed.items()}).causes()
    assert (
        got == want == {"mul1": "correct", "exp": "sign-error", "add3": "correct", "neg": "correct"}
    )
    filled = browser.execute_script(
        "return [...document.querySelectorAll('#sheet text[data-blank]')]"
        ".filter(t => t.textContent !== arguments[0]).map(t => t.textContent);",
        "______",
    )
    assert sorted(filled) == sorted(typed.values())  # each in its own wire, none lost
    assert not _severe(browser) and _requests(browser) == [path.as_uri()]


# ---------------------------------------------------------------------------- in a notebook
def test_explore_in_a_notebook_saved_as_html_works_without_a_kernel(browser, tmp_path):
    """explore(root) at the end of a cell shows inline (its text/html output); the executed
    notebook exported by nbconvert (what nbviewer shows) still steps and opens nodes."""
    nbformat = require("nbformat", "pip install nbformat (the `dev` extra)")
    require("nbconvert", "pip install nbconvert (the `dev` extra)")
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    from selenium.webdriver.common.keys import Keys

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from gradtrace import Value\n"
            "from gradtrace.viz import explore\n"
            "x, y, z = Value(-2.0, 'x'), Value(5.0, 'y'), Value(-4.0, 'z')\n"
            "f = (x + y) * z\n"
            "f.backward()\n"
            "explore(f)"
        )
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (output,) = nb.cells[0].outputs
    assert "gradtrace-explorer" in output["data"]["text/html"]  # shown inline
    html_text, _ = HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "saved.html"
    path.write_text(html_text, encoding="utf-8")
    root = _open(browser, path)  # no kernel: only the saved output and its script
    assert root.get_attribute("data-steps") == "6"
    root.find_element("css selector", ".gt-next").click()
    assert root.get_attribute("data-step") == "1"
    assert browser.find_element("css selector", ".gt-caption").text.startswith("forward, step 1")
    assert browser.execute_script("return location.hash") == ""  # a notebook's URL is its own
    node = root.find_element("css selector", "g[role=button]")
    node.send_keys(Keys.ENTER)
    assert root.find_element("css selector", ".gt-panel h2").text


def test_axe_core_finds_no_violation_on_the_network_view_page(browser, tmp_path):
    from gradtrace import nn

    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)  # too big to step: network view
    loss = model([Value(0.5), Value(-0.2)]).relu()
    loss.backward()
    path = to_html(loss, tmp_path / "network.html", model=model)
    assert _data(path)["steps"][0]["phase"] == "network"
    browser.set_script_timeout(60)
    _open(browser, path)
    assert _axe_violations(browser) == []
