"""Every colour the pictures and the explorer page use meets WCAG 2.1 AA against the white they
are drawn on (text 4.5:1, lines and arrows 3:1), and the network view's gradient scale stays
readable under a simulated deuteranopia (the commonest colour blindness)."""

import re
from pathlib import Path

import pytest
from gradtrace.viz import style
from gradtrace.viz.network import colour

VIZ = Path(style.__file__).parent
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
NAMED = re.compile(
    r"""(?:colou?r|fill|stroke|bgcolor|background)\s*[=:]\s*["']?(white|black)\b""", re.I
)


def _used() -> dict[str, list[str]]:
    """Every colour written in viz/ (Python and the page's style sheet): colour -> files."""
    found: dict[str, list[str]] = {}
    for path in sorted([*VIZ.glob("*.py"), *VIZ.glob("page/*.css")]):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"&#x?[0-9a-fA-F]+;", "", text)  # character references are not colours
        for c in HEX.findall(text) + NAMED.findall(text):
            found.setdefault(c.lower(), []).append(path.name)
    return found


def test_every_colour_used_is_in_the_palette_with_its_role():
    palette = {c.lower() for c in style.PALETTE}
    missing = {c: files for c, files in _used().items() if c not in palette}
    assert missing == {}, "add these to style.PALETTE with what they are drawn as"


@pytest.mark.parametrize("c", [c for c, role in style.PALETTE.items() if role == "text"])
def test_text_colours_have_4_5_to_1_on_white_and_on_every_fill(c):
    assert style.contrast(c) >= 4.5
    if c == "black":  # the text inside highlighted gates, warning boxes and panels
        for fill in (f for f, role in style.PALETTE.items() if role == "fill"):
            assert style.contrast(c, fill) >= 4.5, fill


@pytest.mark.parametrize("c", [c for c, role in style.PALETTE.items() if role == "graphic"])
def test_line_and_arrow_colours_have_3_to_1_on_white(c):
    assert style.contrast(c) >= 3.0


def test_the_whole_network_scale_and_its_legend_text_are_readable():
    for k in range(101):
        c = colour(k / 100)
        assert style.contrast(c) >= 3.0, c  # an arrow on white
        assert style.contrast(style.ink_on(c), c) >= 4.5, c  # a legend cell's label


def test_dimmed_parts_of_a_forward_step_keep_3_to_1():
    # explorer.css draws what is not computed yet at opacity .45: black lines become grey
    css = (VIZ / "page" / "explorer.css").read_text(encoding="utf-8")
    opacity = float(re.search(r"\.gt-pending \{ opacity: ([\d.]+)", css).group(1))
    grey = round(255 * (1 - opacity))
    assert style.contrast(f"#{grey:02x}{grey:02x}{grey:02x}") >= 3.0


def test_the_contrast_formula_gives_wcags_reference_values():
    assert style.contrast("black", "white") == pytest.approx(21.0)
    assert style.contrast("#777777") == pytest.approx(4.48, abs=0.01)  # just fails AA text
    assert style.contrast("#ffffff", "#fff") == pytest.approx(1.0)


# Machado, Oliveira and Fernandes (2009), deuteranopia at severity 1, on linear RGB.
DEUTERANOPIA = [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.011820, 0.042940, 0.968881],
]


def _seen_by_deuteranope(c: str) -> tuple[float, float, float]:
    """CIE L*a*b* of colour `c` as a deuteranope sees it."""
    rgb = style._linear(c)
    r, g, b = (
        min(max(sum(m * v for m, v in zip(row, rgb, strict=True)), 0.0), 1.0)
        for row in DEUTERANOPIA
    )
    x = 0.4124 * r + 0.3576 * g + 0.1805 * b
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = 0.0193 * r + 0.1192 * g + 0.9505 * b

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x / 0.95047), f(y), f(z / 1.08883)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _readable_in_order(scale, stops: int = 7) -> bool:
    """Under deuteranopia: lightness falls steadily along the scale (its order can be read)
    and neighbouring legend colours differ by at least 5 ΔE (CIE76; 2.3 is just noticeable)."""
    seen = [_seen_by_deuteranope(scale(k / (stops - 1))) for k in range(stops)]
    lightness = [lab[0] for lab in seen]
    ordered = all(a > b for a, b in zip(lightness, lightness[1:], strict=False))
    apart = all(
        sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5 >= 5
        for a, b in zip(seen, seen[1:], strict=False)
    )
    return ordered and apart


def test_network_gradient_scale_reads_in_order_under_deuteranopia():
    assert _readable_in_order(colour)


def test_the_deuteranopia_check_fails_the_old_diverging_scale():
    # blue-yellow-red (the old scale): its lightness rises, then falls, so it cannot be read
    # as an order by lightness alone, which is all a deuteranope may have
    old = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#fee090", "#fdae61", "#f46d43", "#a50026"]

    def scale(t):
        return old[round(t * (len(old) - 1))]

    assert not _readable_in_order(scale)
