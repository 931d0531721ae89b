"""Hostile text in a real browser: labels, gate names, a title and a CLI expression reach the
explorer page, and in headless Chromium the text shows as written, clicking and hovering every
node runs nothing (window.x stays undefined) and nothing logs an error."""

import pytest
import test_browser
from gradtrace import Value, gate
from gradtrace.cli.main import main
from gradtrace.viz.html import to_html
from test_browser import _node_group, _open, _severe

browser = test_browser.browser  # the one headless Chromium fixture, shared

HOSTILE = [
    '<x> URL="javascript:void(window.x=1)" target="_self" tooltip=<y>',
    "<img src=x onerror=window.x=1>",
    "<script>window.x=1</script>",
    "</script><script>window.x=1</script>",
    "[link](javascript:window.x=1) $\\href{javascript:window.x=1}{y}$",
    '<x>]; n99 [label=z URL="javascript:window.x=1"]; nzz [label=<y>',
    "a\"b\\Nc'&amp;</title><svg onload=window.x=1>",
]


def hostile_graph():
    """One graph holding every hostile string: as leaf labels, a gate name, a node label."""
    leaves = [Value(0.5 + i, label) for i, label in enumerate(HOSTILE)]
    weird = gate(HOSTILE[1])(lambda a: (a * a, (2 * a,)))
    out = weird(leaves[0])
    for leaf in leaves[1:]:
        out = out * leaf
    out.label = HOSTILE[2]
    out.backward()
    return out


def visit_every_node(browser):
    """Hover over and click every node of the visible frame, checking after each that nothing
    ran; return the panel headings the hovering showed."""
    from selenium.webdriver.common.action_chains import ActionChains

    seen = []
    names = [
        g.get_attribute("data-name")
        for g in browser.find_elements("css selector", ".gt-frame:not([hidden]) g.node")
        if g.rect["width"] > 0  # not the invisible point the last wire ends at
    ]
    assert len(names) >= 5
    center = "arguments[0].scrollIntoView({block: 'center', inline: 'center'})"
    for name in names:
        node = _node_group(browser, name)
        browser.execute_script(center, node)
        ActionChains(browser).move_to_element(node).perform()
        panel = browser.find_element("css selector", ".gt-panel")
        seen += [h.text for h in panel.find_elements("css selector", "h2")]
        node = _node_group(browser, name)
        browser.execute_script(center, node)
        ActionChains(browser).move_to_element(node).click().perform()
        assert browser.execute_script("return window.x") is None, f"clicking {name} ran code"
    return seen


def test_hostile_labels_gate_names_and_title_show_as_text_and_run_nothing(browser, tmp_path):
    title = "<img src=x onerror=window.x=1> f = </h1><script>window.x=1</script>"
    page = to_html(hostile_graph(), tmp_path / "hostile.html", title=title)
    root = _open(browser, page, "#step=999")
    assert browser.find_element("css selector", "h1").text == title
    assert browser.title == title
    headings = visit_every_node(browser)
    for label in HOSTILE:  # each shown as typed (#1, #2 where two nodes share a label)
        assert any(h == label or h.startswith(label + "#") for h in headings), label
    svg_text = " ".join(t.text for t in root.find_elements("css selector", "svg text"))
    assert "<img src=x onerror=window.x=1>" in svg_text
    for _ in range(3):  # step through: the captions name the gates as typed
        browser.find_element("css selector", "body").send_keys("\ue014")  # right arrow
    assert browser.execute_script("return window.x") is None
    assert browser.find_elements("css selector", "img, iframe") == []
    assert _severe(browser) == []


def test_a_cli_expression_with_a_comment_makes_a_page_that_runs_nothing(browser, tmp_path):
    page = tmp_path / "cli.html"
    expression = "x * y  # <img src=x onerror=window.x=1></h1><script>window.x=1</script>"
    assert main(["draw", expression, "x=2", "y=3", "-o", str(page)]) == 0  # the CLI itself
    _open(browser, page)
    assert "<img src=x onerror=window.x=1>" in browser.find_element("css selector", "h1").text
    visit_every_node(browser)
    assert browser.execute_script("return window.x") is None
    assert browser.find_elements("css selector", "img, iframe") == []
    assert _severe(browser) == []


def every_view_page(label: str) -> str:
    """One HTML page holding each view a string reaches outside the explorer: draw's SVG, a
    backward frame, the network view, check_gates' table and explain's Markdown rendered as
    Jupyter renders it (raw HTML allowed)."""
    from collections import OrderedDict

    import numpy as np
    from gradtrace import Tensor, check_gates, nn
    from gradtrace.viz import backward_steps, check_report, draw, explain, network
    from markdown_it import MarkdownIt

    out = hostile_graph()
    leaf = next(n for n in reversed(list(_walk(out))) if n.label == label and not n.parents)
    model = nn.Sequential(OrderedDict([(label.replace(".", ","), nn.Linear(2, 2, seed=0))]))
    loss = model(Tensor(np.ones((1, 2)), label=label)).sum()
    loss.backward()
    wrong = gate(label)(lambda a: (a * a, (3 * a,)))(Value(1.5, label))
    wrong.backward()
    parts = [
        draw(out, title=label).pipe("svg").decode(),
        backward_steps(out)[2].pipe("svg").decode(),
        network(loss, model=model, title=label).pipe("svg").decode(),
        check_report.to_html(check_gates(wrong)),
        MarkdownIt("commonmark", {"html": True}).render(explain(out, wrt=leaf).markdown()),
    ]
    body = "".join(f"<section>{p.split('?>', 1)[-1]}</section>" for p in parts)
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def _walk(root):
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.parents)
            yield node


def test_every_view_shows_hostile_text_as_text_in_chromium(browser, tmp_path):
    import importlib.util

    if importlib.util.find_spec("markdown_it") is None:
        pytest.skip("markdown-it-py is missing (it renders explain's Markdown as Jupyter would)")
    for i, label in enumerate(HOSTILE):
        page = tmp_path / f"views{i}.html"
        page.write_text(every_view_page(label), encoding="utf-8")
        browser.get("about:blank")
        browser.get_log("browser")
        browser.get(page.as_uri())
        assert browser.execute_script("return window.x") is None, label
        found = browser.execute_script(
            "return Array.from(document.querySelectorAll('img, script, iframe, a[href], "
            "[onload], [onerror]')).map(e => e.outerHTML)"
        )
        assert found == [], label
        text = browser.execute_script("return document.body.textContent")
        assert text.count(label) >= 3, label  # SVG text, the table, the Markdown: as typed
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
