"""A `check_gates` report as an HTML table: the engine gives the findings as plain data and
text (`report.header()`, `report.rows()`, `report.summary()`); the markup is drawn here."""

from __future__ import annotations

import html
from typing import Any

from gradtrace.check_gates import TENSOR_NOTE


def to_html(report: Any) -> str:
    """The summary, a table of the disagreeing gate inputs and the list of skipped ones, as
    HTML. Every cell is escaped: labels and gate names are text."""
    parts = [f"<p>{html.escape(report.summary())}</p>"]
    if len(report):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in report.header())
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in report.rows()
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if report.probed():
            parts.append(f"<p>{html.escape(TENSOR_NOTE)}</p>")
    if report.skipped:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in report.skipped_lines())
        parts.append(f"<p>skipped:</p><ul>{items}</ul>")
    return "".join(parts)
