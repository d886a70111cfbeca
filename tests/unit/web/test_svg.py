"""The SVG pieces both HTML reports draw with: escaping, closing, points and colours."""

from __future__ import annotations

from ballroom.web.svg import CATEGORY10, colours, element, points, text


def test_an_element_escapes_its_attributes_and_title_and_closes_itself_when_empty() -> None:
    assert element("line", (("x1", 3), ("stroke", "#333"))) == '<line x1="3" stroke="#333"/>'
    assert element("g", (("aria-label", 'a "b" & <c>'),), "") == (
        '<g aria-label="a &quot;b&quot; &amp; &lt;c&gt;"></g>'
    )
    assert element("rect", (("x", "1.5"),), title="Jen & <Jan>") == (
        '<rect x="1.5"><title>Jen &amp; &lt;Jan&gt;</title></rect>'
    )
    # Content is markup already: it is kept as it is, after the title.
    assert element("g", (), "<line/>", title="t") == "<g><title>t</title><line/></g>"


def test_text_is_escaped_and_points_are_tenths() -> None:
    assert text((("x", 0),), "Rock & Roll") == '<text x="0">Rock &amp; Roll</text>'
    assert points([(1, 2.25), (3.333, 4)]) == "1.0,2.2 3.3,4.0"


def test_colours_go_round_the_palette() -> None:
    keys = [f"c{i}" for i in range(12)]
    assigned = colours(keys, CATEGORY10)
    assert assigned["c0"] == assigned["c10"] == CATEGORY10[0]
    assert assigned["c9"] == CATEGORY10[9]
    assert list(assigned) == keys
