"""A self-contained HTML integrity report: tables and inline SVG charts, nothing from a CDN."""

from __future__ import annotations

from html import escape
from typing import Any

from ballroom.web.svg import CATEGORY10, SVG_NAMESPACE, colours, element, points, text

_PALETTE = (*CATEGORY10, "#393b79", "#637939", "#8c6d31", "#843c39")
_KIND_COLOUR = {
    "multi-account": "#d62728",
    "bot": "#9467bd",
    "sms-bank": "#ff7f0e",
    "lockstep": "#1f77b4",
}
_OTHER_KIND = "#7f7f7f"


def _svg(width: int, height: int, label: str, parts: list[str]) -> str:
    return element(
        "svg",
        (
            ("xmlns", SVG_NAMESPACE),
            ("width", width),
            ("height", height),
            ("role", "img"),
            ("aria-label", label),
        ),
        "".join(parts),
    )


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return element("line", (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2), ("stroke", "#333")))


def votes_over_time_svg(timeline: dict[str, Any], width: int = 760, height: int = 300) -> str:
    """One line per couple: counted votes per time slot."""
    series: dict[str, list[int]] = timeline.get("series", {})
    if not series:
        return "<p>No votes.</p>"
    slots = max(len(values) for values in series.values())
    top = max((max(values) for values in series.values() if values), default=1) or 1
    left, bottom, right, top_pad = 60, 30, 140, 10
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    parts = [
        _line(left, top_pad + plot_h, left + plot_w, top_pad + plot_h),
        _line(left, top_pad, left, top_pad + plot_h),
        text((("x", 4), ("y", top_pad + 10), ("font-size", 11)), f"{top:,}"),
        text(
            (("x", left), ("y", height - 8), ("font-size", 11)),
            f"{timeline.get('start') or ''}, {timeline.get('slot_minutes', 5)}-minute slots",
        ),
    ]
    by_couple = sorted(series.items())
    colour_of = colours((couple for couple, _ in by_couple), _PALETTE)
    for i, (couple, values) in enumerate(by_couple):
        colour = colour_of[couple]
        line = points(
            (left + plot_w * j / max(slots - 1, 1), top_pad + plot_h - plot_h * value / top)
            for j, value in enumerate(values)
        )
        parts.append(
            element(
                "polyline",
                (("fill", "none"), ("stroke", colour), ("stroke-width", 1.5), ("points", line)),
                title=couple,
            )
        )
        y = top_pad + 12 + i * 16
        parts.append(
            element(
                "rect",
                (
                    ("x", left + plot_w + 10),
                    ("y", y - 9),
                    ("width", 10),
                    ("height", 10),
                    ("fill", colour),
                ),
            )
        )
        parts.append(text((("x", left + plot_w + 24), ("y", y), ("font-size", 12)), couple))
    return _svg(width, height, "votes over time per couple", parts)


def cluster_sizes_svg(clusters: list[dict[str, Any]], width: int = 760, limit: int = 40) -> str:
    """One bar per cluster (largest first), coloured by kind."""
    shown = sorted(clusters, key=lambda c: -len(c["voters"]))[:limit]
    if not shown:
        return "<p>No clusters.</p>"
    bar_h, gap, left = 14, 4, 130
    height = len(shown) * (bar_h + gap) + 20
    biggest = max(len(c["voters"]) for c in shown)
    parts: list[str] = []
    for i, cluster in enumerate(shown):
        size = len(cluster["voters"])
        y = 10 + i * (bar_h + gap)
        w = (width - left - 60) * size / biggest
        colour = _KIND_COLOUR.get(cluster["kind"], _OTHER_KIND)
        parts.append(text((("x", 0), ("y", y + 11), ("font-size", 11)), cluster["kind"]))
        parts.append(
            element(
                "rect",
                (("x", left), ("y", y), ("width", f"{w:.1f}"), ("height", bar_h), ("fill", colour)),
                title=cluster["evidence"],
            )
        )
        parts.append(
            text((("x", f"{left + w + 4:.1f}"), ("y", y + 11), ("font-size", 11)), str(size))
        )
    return _svg(width, height, "cluster sizes", parts)


def report_html(report: dict[str, Any], timeline: dict[str, Any], source: str) -> str:
    """The whole page."""
    rows = [
        ("Voters", f"{report['voters']:,}"),
        ("Ballots", f"{report['ballots']:,}"),
        ("Rows", f"{report.get('rows', 0):,}"),
        ("Window", report.get("window", "")),
        ("Flagged voters", f"{len(report['flagged_voters']):,}"),
        ("Clusters", f"{len(report['clusters']):,}"),
        ("Campaigns", f"{len(report['campaigns'])}"),
    ]
    summary = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    campaigns = "".join(
        f"<tr><td>{escape(c['target'])}</td><td>{c['voters']:,}</td><td>{c['votes']:,}</td>"
        f"<td>{c.get('flagged_voters', 0)}</td><td>{escape(c.get('evidence', ''))}</td></tr>"
        for c in report["campaigns"]
    )
    clusters = "".join(
        f"<tr><td>{escape(c['kind'])}</td><td>{len(c['voters'])}</td>"
        f"<td>{'yes' if c.get('flagged') else 'no'}</td><td>{escape(c['evidence'])}</td></tr>"
        for c in report["clusters"][:200]
    )
    cf = report.get("counterfactual")
    if cf:
        effect = (
            f"<p>Eliminated as cast: <b>{escape(', '.join(cf['eliminated']) or 'nobody')}</b>; "
            "without flagged votes: "
            f"<b>{escape(', '.join(cf['eliminated_without_flagged']) or 'nobody')}</b>"
            f" ({'changes' if cf.get('changes') else 'no change'}). Margin at the line: "
            f"{cf['margin']}. Bootstrap: the elimination holds in "
            f"{cf.get('bootstrap', {}).get('holds', 'n/a')} of draws.</p>"
        )
        if cf.get("verdict"):
            effect += f"<p>{escape(cf['verdict'])}</p>"
        effect += "".join(
            f"<p>{escape(case['case'])}: "
            f"{escape(', '.join(case['eliminated']) or 'nobody')} goes home.</p>"
            for case in cf.get("band", {}).get("cases", [])
        )
        effect += "".join(
            f"<p>Without the campaign against {escape(c['target'])}: "
            f"{escape(', '.join(c['eliminated_without_campaign']) or 'nobody')} "
            f"({'changes' if c['changes'] else 'no change'}).</p>"
            for c in cf.get("campaigns", [])
        )
    else:
        effect = "<p>No night request given (<code>--results</code>): effect not computed.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Integrity report — {escape(source)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
</style></head><body>
<h1>Integrity report</h1><p>{escape(source)}</p>
<table>{summary}</table>
<h2>Effect on the result</h2>{effect}
<h2>Votes over time per couple</h2>{votes_over_time_svg(timeline)}
<h2>Campaigns (reported, not flagged)</h2>
<table><tr><th>Target</th><th>Voters</th><th>Votes</th><th>Flagged among them</th>
<th>Evidence</th></tr>
{campaigns}</table>
<h2>Cluster sizes</h2>{cluster_sizes_svg(report["clusters"])}
<h2>Clusters</h2>
<table><tr><th>Kind</th><th>Accounts</th><th>Flagged</th><th>Evidence</th></tr>{clusters}</table>
</body></html>
"""
