"""Inline SVG for the self-contained HTML reports (the demo's and the integrity report's).

One way to write an element, its text and a polyline's points, and the palette both reports
start from. Everything the caller hands in as an attribute value or text is escaped here;
``content`` is markup the caller already built (other elements).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

# d3's category10: the first colours of every chart, so a couple keeps its colour in both
# reports while there are ten or fewer.
CATEGORY10 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

Attributes = Iterable[tuple[str, object]]


def element(
    tag: str, attributes: Attributes = (), content: str | None = None, *, title: str | None = None
) -> str:
    """``<tag a="v" ...>``, then a ``<title>`` tooltip if given, ``content`` and ``</tag>``.

    With neither a title nor content (``None``; ``""`` is an empty element), it closes itself.
    """
    opening = "".join(f' {name}="{escape(str(value))}"' for name, value in attributes)
    if title is None and content is None:
        return f"<{tag}{opening}/>"
    tooltip = f"<title>{escape(title)}</title>" if title is not None else ""
    return f"<{tag}{opening}>{tooltip}{content or ''}</{tag}>"


def text(attributes: Attributes, words: str) -> str:
    """A ``<text>`` element holding ``words`` (escaped)."""
    return element("text", attributes, escape(words))


def points(xy: Iterable[tuple[float, float]]) -> str:
    """A polyline's ``points``: ``x,y`` pairs to a tenth of a pixel."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)


def colours(keys: Iterable[str], palette: Sequence[str]) -> Mapping[str, str]:
    """Each key's colour, in order, round the palette again when it runs out."""
    return {key: palette[i % len(palette)] for i, key in enumerate(keys)}
