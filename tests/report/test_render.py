"""The report renderers: Markdown tables, claims counts, self-contained HTML with embedded figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from polyapprox.report.render import (
    Claim,
    Report,
    Section,
    markdown_table,
    markdown_to_html,
    render_html,
    render_markdown,
)


def _report(fig_path: str = "figures/f.png") -> Report:
    claims = (Claim("a | b", "paper", "polyapprox verify", "3/3 proved", "holds"),
              Claim("c", "paper", "x", "-", "not checked at this size"))
    return Report("T", {"preset": "quick"}, claims, (Section("S", f"text `code` **bold**\n\n![cap]({fig_path})"),))


def test_claim_rejects_unknown_verdict() -> None:
    with pytest.raises(ValueError, match="verdict"):
        Claim("c", "s", "cmd", "m", "maybe")


def test_markdown_table_escapes_pipes() -> None:
    table = markdown_table(["x", "y"], [["a|b", 1]])
    assert table.splitlines() == ["| x | y |", "|---|---|", "| a\\|b | 1 |"]


def test_markdown_counts_verdicts_and_lists_claims() -> None:
    md = render_markdown(_report())
    assert "1 holds, 1 not checked at this size." in md  # every verdict that occurs, with its count
    assert "| a \\| b | paper | `polyapprox verify` | 3/3 proved | **holds** |" in md


def test_html_is_self_contained(tmp_path: Path) -> None:
    fig = Figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    (tmp_path / "figures").mkdir()
    fig.savefig(tmp_path / "figures" / "f.png")
    page = render_html(_report(), root=tmp_path)
    assert 'src="data:image/png;base64,' in page
    assert "<td>a | b</td>" in page and "<code>code</code>" in page and "<strong>bold</strong>" in page
    assert "http://" not in page and "https://" not in page


def test_markdown_to_html_lists_and_code() -> None:
    html = markdown_to_html("- one\n- two\n\n```\nx < 1\n```")
    assert html == "<ul><li>one</li><li>two</li></ul>\n<pre><code>x &lt; 1</code></pre>"
