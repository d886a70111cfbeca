"""The season replay (and the live-night rehearsal, when one ran) as one self-contained HTML
page: inline CSS, inline SVG charts, no script.

Nothing in the page is fetched from anywhere: no CDN, no font, no image, no link to a remote
host, so the report opens the same offline, years later. Every simulated number is labelled
"simulated" (or marked ``sim``) where it is shown, and the JSON summary of the replay is
embedded as data (``<script type="application/json" id="ballroom-summary">``), not code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from string import Template

from ballroom.services.rehearsal import Rehearsal
from ballroom.services.replay import (
    JUDGES_SAVE_RULE,
    SKATING_ORDINALS,
    SeasonReplay,
    WeekOutcome,
)
from ballroom.web.svg import CATEGORY10, colours, element, points, text

PALETTE = (
    *CATEGORY10,
    "#393b79",
    "#ad494a",
    "#637939",
    "#843c39",
    "#5254a3",
    "#8ca252",
    "#bd9e39",
    "#a55194",
    "#6b6ecf",
    "#e7969c",
)
WIDTH = 960
HEIGHT = 340
# The right margin holds the path chart's end labels (a first name) in full.
LEFT, RIGHT, TOP, BOTTOM = 56, 84, 16, 44

RULE_LABELS = {
    "dwts": "dwts",
    "dwts-judges-save": "dwts-judges-save",
    "strictly": "strictly",
    "skating": "skating (judges only)",
}


REFUSAL_WORDS = {
    "cap_exceeded": "past a voter's cap",
    "window_closed": "after the window closed",
    "ineligible_voter": "voter not eligible",
    "unknown_couple": "for a couple not dancing",
    "duplicate": "sent twice",
}
"""Why the store refused ballots, in words (the codes are the API's)."""


def _with_names(line: str, names: Mapping[str, str]) -> str:
    """An explanation written with couple ids, with each id replaced by the celebrity's name."""
    for couple, name in names.items():
        line = re.sub(rf"\b{re.escape(couple)}\b", name.split(" & ")[0], line)
    return line


def render_report(replay: SeasonReplay, rehearsal: Rehearsal | None = None) -> str:
    """The whole report as one HTML document; with a rehearsal, its section too."""
    template = Template(
        resources.files("ballroom.web").joinpath("templates/report.html").read_text("utf-8")
    )
    colour_of = _colours(replay)
    config = replay.config
    body = replay.summary()
    if rehearsal is not None:
        body["rehearsal"] = rehearsal.summary()
    summary = json.dumps(body, sort_keys=True, separators=(",", ":"))
    same = (
        "Same seed, same report (but for the rehearsal's measured ingest speed)."
        if rehearsal is not None
        else "Same seed, same report."
    )
    return template.substitute(
        title=escape(f"{replay.season_name}: replay with simulated electorates"),
        subtitle=escape(
            f"{config.electorates} simulated electorates, seed {config.seed}, rule sets "
            f"{', '.join(RULE_LABELS.get(r, r) for r in config.rule_sets)}. {same}"
        ),
        labels=(
            "Judges' scores are the real ones wherever they were published. Scores that were "
            'never published are <span class="sim">simulated</span> (marked '
            '<span class="badge">sim</span>); where only a total was published (e.g. 58/60) '
            "the total is real and only its split between judges is simulated. "
            "<strong>All viewer votes are simulated</strong>: ABC publishes no per-couple "
            "counts. A night's total volume is the published figure where one exists "
            "(Disney Night 40M+, finale 72M+, taken at their lower bound) and simulated "
            "otherwise."
        ),
        reproduction_intro=escape(
            "Each simulated electorate replays the real path: every week the real cast of "
            "that week dances, and each rule set decides who would go. A cell is the share "
            "of electorates in which the rule set sends home exactly the couple(s) who really "
            "went. These are facts about the model, not numbers tuned to look good."
        ),
        reproduction_table=_reproduction_table(replay),
        points_intro=escape(
            "Each couple's judges' points (bonus included) as a share of that night's "
            "maximum, averaged over the electorates. Filled dots are real totals; hollow "
            "dots are simulated."
        ),
        points_chart=_points_chart(replay, colour_of),
        shares_intro=escape(
            f"Mean share of each night's votes over {config.electorates} simulated "
            "electorates. Every vote here is simulated."
        ),
        shares_chart=_shares_chart(replay, colour_of),
        path_intro=escape(
            "Place under the dwts rules, week by week, in simulated electorate #1 (the one "
            "printed below). A cross marks the week the couple really went home."
        ),
        path_chart=_path_chart(replay, colour_of),
        couple_legend=_legend(replay, colour_of),
        weeks_intro=escape(
            "Simulated electorate #1, night by night: judges' points (sim where simulated), "
            "carried points and votes, simulated votes, shares and the dwts combined total; "
            "then who each rule set would send home, beside who really went."
        ),
        week_tables="\n".join(_week_table(replay, week) for week in replay.showcase),
        rehearsal_section=_rehearsal_section(rehearsal) if rehearsal is not None else "",
        model=_model(replay),
        footer=escape(
            "Generated by `ballroom demo`. Sources: the season file bundled with ballroom "
            "(public record, autumn 2025). Votes: simulated."
        ),
        summary_json=_script_safe(summary),
    )


def _script_safe(text: str) -> str:
    """JSON that cannot close or comment out its ``<script>`` block: <, > and & as escapes."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def write_report(replay: SeasonReplay, path: Path, rehearsal: Rehearsal | None = None) -> Path:
    """Write the report to ``path`` (UTF-8) and return the path."""
    path.write_text(render_report(replay, rehearsal), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- pieces


def _colours(replay: SeasonReplay) -> Mapping[str, str]:
    return colours(replay.names, PALETTE)


def _short(replay: SeasonReplay, couple: str) -> str:
    """The celebrity's name: the label fans use."""
    return replay.names[couple].split(" & ")[0]


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _reproduction_table(replay: SeasonReplay) -> str:
    rules = [r.rules for r in replay.reproduction]
    first = rules[0]
    head = "".join(f"<th>{escape(RULE_LABELS.get(r, r))}</th>" for r in rules)
    rows: list[str] = []
    by_week = {week.number: week for week in replay.showcase}
    weeks = sorted({w for r in replay.reproduction for w in r.weeks})
    for number in weeks:
        week = by_week[number]
        who = ", ".join(_short(replay, c) for c in week.real_eliminated)
        cells = "".join(_rate_cell(r.weeks[number]) for r in replay.reproduction)
        rows.append(
            f'<tr><td class="l">Week {number}: {escape(week.theme)}</td>'
            f'<td class="l">{escape(who)}</td>{cells}<td class="l">{_most_often(replay, number)}'
            "</td></tr>"
        )
    finale = next((w for w in replay.showcase if w.finale), None)
    winner = (
        _short(replay, finale.real_final_order[0]) if finale and finale.real_final_order else ""
    )
    placing = " > ".join(_short(replay, c) for c in finale.real_final_order) if finale else ""
    extra = (
        ("Every elimination (weeks above)", "all of them", "all_eliminations"),
        ("Finale: the winner", winner, "winner"),
        ("Finale: the whole placing", placing, "final_order"),
        ("The whole real elimination order", "every week and the finale", "whole_order"),
    )
    for label, real, attribute in extra:
        cells = "".join(_rate_cell(getattr(r, attribute)) for r in replay.reproduction)
        rows.append(
            f'<tr><td class="l"><strong>{escape(label)}</strong></td>'
            f'<td class="l">{escape(real)}</td>{cells}<td></td></tr>'
        )
    unresolved = "".join(f"<td>{r.unresolved}</td>" for r in replay.reproduction)
    rows.append(
        '<tr><td class="l muted">Nights left to the producers (exact ties)</td><td></td>'
        f"{unresolved}<td></td></tr>"
    )
    return (
        '<div class="scroll"><table><thead><tr><th class="l">Night</th>'
        f'<th class="l">Really eliminated</th>{head}'
        f'<th class="l">Most often sent home ({escape(first)})</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _most_often(replay: SeasonReplay, week: int) -> str:
    """The first rule set's most frequent elimination that week, with its share."""
    rep = replay.reproduction[0]
    who, share = rep.most_often.get(week, ((), 0.0))
    if not who:
        return "nobody (a tie left to the producers)" if share else ""
    names = ", ".join(_short(replay, c) for c in who)
    return f"{escape(names)} ({_pct(share)})"


def _rate_cell(rate: float) -> str:
    width = max(0.0, min(1.0, rate)) * 100
    return f'<td class="rate"><i style="width:{width:.1f}%"></i><span>{_pct(rate)}</span></td>'


def _legend(replay: SeasonReplay, colour_of: Mapping[str, str]) -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{colour_of[c]}"></span>{escape(name)}</li>'
        for c, name in replay.names.items()
    )
    return f'<ul class="legend">{items}</ul>'


@dataclass(frozen=True)
class _Frame:
    """The plot area of a chart and its scales."""

    weeks: Sequence[int]
    low: float
    high: float
    invert: bool = False

    def x(self, week: int) -> float:
        span = WIDTH - LEFT - RIGHT
        if len(self.weeks) == 1:
            return LEFT + span / 2
        return LEFT + span * self.weeks.index(week) / (len(self.weeks) - 1)

    def y(self, value: float) -> float:
        span = HEIGHT - TOP - BOTTOM
        fraction = (value - self.low) / (self.high - self.low) if self.high > self.low else 0.5
        if self.invert:
            fraction = 1 - fraction
        return TOP + span * (1 - fraction)


_INK = "#62626e"


def _svg(body: str, label: str) -> str:
    return element(
        "svg",
        (
            ("viewBox", f"0 0 {WIDTH} {HEIGHT}"),
            ("width", WIDTH),
            ("height", HEIGHT),
            ("role", "img"),
            ("aria-label", label),
            ("font-family", "system-ui, sans-serif"),
            ("font-size", 11),
        ),
        body,
    )


def _axes(frame: _Frame, ticks: Sequence[float], tick_text: Sequence[str], y_title: str) -> str:
    parts: list[str] = []
    for value, words in zip(ticks, tick_text, strict=True):
        y = f"{frame.y(value):.1f}"
        parts.append(
            element(
                "line",
                (("x1", LEFT), ("x2", WIDTH - RIGHT), ("y1", y), ("y2", y), ("stroke", "#e6e6ec")),
            )
        )
        parts.append(
            text(
                (
                    ("x", LEFT - 6),
                    ("y", f"{frame.y(value) + 4:.1f}"),
                    ("text-anchor", "end"),
                    ("fill", _INK),
                ),
                words,
            )
        )
    for week in frame.weeks:
        parts.append(
            text(
                (
                    ("x", f"{frame.x(week):.1f}"),
                    ("y", HEIGHT - BOTTOM + 16),
                    ("text-anchor", "middle"),
                    ("fill", _INK),
                ),
                f"W{week}",
            )
        )
    middle = f"{(TOP + HEIGHT - BOTTOM) / 2:.1f}"
    parts.append(
        text(
            (
                ("x", f"{(LEFT + WIDTH - RIGHT) / 2:.1f}"),
                ("y", HEIGHT - 6),
                ("text-anchor", "middle"),
                ("fill", _INK),
            ),
            "week",
        )
    )
    parts.append(
        text(
            (
                ("x", 14),
                ("y", middle),
                ("text-anchor", "middle"),
                ("fill", _INK),
                ("transform", f"rotate(-90 14 {middle})"),
            ),
            y_title,
        )
    )
    return "".join(parts)


def _points_chart(replay: SeasonReplay, colour_of: Mapping[str, str]) -> str:
    weeks = [w.number for w in replay.showcase]
    maximum = {w.number: w.max_points for w in replay.showcase}
    values = {
        (week, couple): total / maximum[week]
        for week, by_couple in replay.mean_points.items()
        for couple, total in by_couple.items()
        if maximum.get(week)
    }
    if not values:
        return _svg("", "no judges' points")
    low = min(0.4, *values.values())
    high = max(1.0, *values.values())
    frame = _Frame(weeks, low, high)
    ticks = [t / 10 for t in range(int(low * 10), int(high * 10) + 1)]
    parts = [_axes(frame, ticks, [_pct(t) for t in ticks], "share of the night's maximum")]
    for couple in replay.names:
        series = [(w, values[(w, couple)]) for w in weeks if (w, couple) in values]
        parts.append(_polyline(frame, series, colour_of[couple]))
        for week, value in series:
            real = replay.points_known[week].get(couple, False)
            shown = replay.mean_points[week][couple]
            what = "real" if real else "simulated (mean over electorates)"
            parts.append(
                _dot(
                    frame.x(week),
                    frame.y(value),
                    colour_of[couple],
                    hollow=not real,
                    title=f"{_short(replay, couple)}, week {week}: {shown:.1f}/"
                    f"{maximum[week]:g} ({what})",
                )
            )
    return _svg("".join(parts), "Judges' points by week")


def _shares_chart(replay: SeasonReplay, colour_of: Mapping[str, str]) -> str:
    weeks = [w.number for w in replay.showcase]
    frame = _Frame(weeks, 0.0, 1.0)
    ticks = [t / 5 for t in range(6)]
    parts = [_axes(frame, ticks, [_pct(t) for t in ticks], "share of the night's votes (sim)")]
    span = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    bar = min(52.0, span * 0.7)
    for week in weeks:
        bottom = 0.0
        x = frame.x(week) - bar / 2
        for couple, share in replay.mean_vote_share[week].items():
            top = bottom + share
            y_top, y_bottom = frame.y(top), frame.y(bottom)
            parts.append(
                element(
                    "rect",
                    (
                        ("x", f"{x:.1f}"),
                        ("y", f"{y_top:.1f}"),
                        ("width", f"{bar:.1f}"),
                        ("height", f"{max(y_bottom - y_top, 0):.1f}"),
                        ("fill", colour_of[couple]),
                        ("stroke", "#fff"),
                        ("stroke-width", 0.5),
                    ),
                    title=f"{_short(replay, couple)}, week {week}: {_pct(share)} (simulated)",
                )
            )
            if share >= 0.07:
                parts.append(
                    text(
                        (
                            ("x", f"{x + bar / 2:.1f}"),
                            ("y", f"{(y_top + y_bottom) / 2 + 4:.1f}"),
                            ("text-anchor", "middle"),
                            ("fill", "#fff"),
                            ("font-size", 9),
                        ),
                        _short(replay, couple).split()[0],
                    )
                )
            bottom = top
    return _svg("".join(parts), "Simulated vote shares by week")


def _path_chart(replay: SeasonReplay, colour_of: Mapping[str, str]) -> str:
    weeks = [w.number for w in replay.showcase]
    most = max((len(w.lines) for w in replay.showcase), default=1)
    frame = _Frame(weeks, 1.0, float(most), invert=True)
    ticks = [float(p) for p in range(1, most + 1)]
    parts = [_axes(frame, ticks, [str(int(t)) for t in ticks], "place (dwts, electorate #1)")]
    place = {
        (week.number, line.couple): line.place for week in replay.showcase for line in week.lines
    }
    went = {c: week.number for week in replay.showcase for c in week.real_eliminated}
    for couple in replay.names:
        colour = colour_of[couple]
        series = [(w, float(place[(w, couple)])) for w in weeks if (w, couple) in place]
        parts.append(_polyline(frame, series, colour))
        for week, value in series:
            title = f"{_short(replay, couple)}, week {week}: place {int(value)}"
            x, y = frame.x(week), frame.y(value)
            if went.get(couple) == week:
                parts.append(_cross(x, y, colour, f"{title}; really eliminated this week"))
            else:
                parts.append(_dot(x, y, colour, hollow=False, title=title))
        if series:
            last_week, last_value = series[-1]
            parts.append(
                text(
                    (
                        ("x", f"{frame.x(last_week) + 7:.1f}"),
                        ("y", f"{frame.y(last_value) + 4:.1f}"),
                        ("fill", colour),
                        ("font-size", 10),
                    ),
                    _short(replay, couple).split()[0],
                )
            )
    return _svg("".join(parts), "Each couple's place by week")


def _polyline(frame: _Frame, series: Sequence[tuple[int, float]], colour: str) -> str:
    if len(series) < 2:
        return ""
    return element(
        "polyline",
        (
            ("points", points((frame.x(w), frame.y(v)) for w, v in series)),
            ("fill", "none"),
            ("stroke", colour),
            ("stroke-width", 1.8),
            ("stroke-opacity", 0.85),
        ),
    )


def _dot(x: float, y: float, colour: str, *, hollow: bool, title: str) -> str:
    return element(
        "circle",
        (
            ("cx", f"{x:.1f}"),
            ("cy", f"{y:.1f}"),
            ("r", 3.6),
            ("fill", "#fff" if hollow else colour),
            ("stroke", colour),
            ("stroke-width", 1.6),
        ),
        title=title,
    )


def _cross(x: float, y: float, colour: str, title: str) -> str:
    d = 5.0
    strokes = "".join(
        element(
            "line",
            (
                ("x1", f"{x - d:.1f}"),
                ("y1", f"{y + d * sign:.1f}"),
                ("x2", f"{x + d:.1f}"),
                ("y2", f"{y - d * sign:.1f}"),
            ),
        )
        for sign in (-1, 1)
    )
    return element("g", (("stroke", colour), ("stroke-width", 2.4)), strokes, title=title)


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{int(value)}"


def _week_table(replay: SeasonReplay, week: WeekOutcome) -> str:
    carried = any(line.carried_points or line.carried_votes for line in week.lines)
    volume_label = (
        '<span class="badge real">published</span>'
        if week.volume_published
        else '<span class="badge">sim</span>'
    )
    panel = ", ".join(replay.judge_names.get(judge, judge) for judge in week.judges)
    heading = (
        f"<h3>Week {week.number}: {escape(week.theme)}</h3>"
        f'<p class="muted">Panel: {escape(panel)}; '
        f"{len(week.rounds)} dance(s), out of {_number(week.max_points)}; "
        f"votes tonight: {week.volume:,} {volume_label}"
        + (f"; bonus: {escape(_bonus_text(replay, week))}" if week.bonus else "")
        + ("; no elimination: scores and votes carry into next week" if week.carry_over else "")
        + "</p>"
    )
    outcome_head = "".join(f"<th>{escape(RULE_LABELS.get(r, r))}</th>" for r in week.outcomes)
    rows: list[str] = []
    for line in week.lines:
        sim = "" if line.points_known else '<span class="badge">sim</span>'
        split = (
            ' <span class="muted">(the total is published; how it splits between the '
            f"judges is simulated for {line.simulated_scores} of {line.scores} scores)</span>"
            if line.points_known and line.simulated_scores
            else ""
        )
        carry_cells = (
            f"<td>{_number(line.carried_points)}</td><td>{line.carried_votes:,}</td>"
            if carried
            else ""
        )
        marks = "".join(
            f"<td>{_mark(line.couple, outcome.eliminated, outcome.bottom, outcome.order, week)}"
            "</td>"
            for outcome in week.outcomes.values()
        )
        really = _really(line.couple, week)
        row_class = ' class="out"' if line.couple in week.real_eliminated else ""
        rows.append(
            f"<tr{row_class}><td>{line.place}</td>"
            f'<td class="l">{escape(replay.names[line.couple])}</td>'
            f"<td>{_number(line.points)}{sim}{split}</td>{carry_cells}"
            f'<td>{line.votes:,} <span class="badge">sim</span></td>'
            f"<td>{_pct(line.judges_share)}</td><td>{_pct(line.vote_share)}</td>"
            f'<td>{line.combined:.3f}</td>{marks}<td class="l">{really}</td></tr>'
        )
    carry_head = "<th>Carried points</th><th>Carried votes (sim)</th>" if carried else ""
    return (
        f'{heading}<div class="scroll"><table><thead><tr><th>Place</th>'
        '<th class="l">Couple</th>'
        f"<th>Judges tonight</th>{carry_head}<th>Votes tonight</th><th>Judges %</th>"
        f'<th>Votes %</th><th>Combined</th>{outcome_head}<th class="l">Really</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _bonus_text(replay: SeasonReplay, week: WeekOutcome) -> str:
    return ", ".join(f"{_short(replay, c)} +{_number(v)}" for c, v in week.bonus.items())


def _mark(
    couple: str,
    eliminated: Sequence[str],
    bottom: Sequence[str],
    order: Sequence[str],
    week: WeekOutcome,
) -> str:
    if week.finale:
        return f"{list(order).index(couple) + 1}" if couple in order else ""
    if couple in eliminated:
        return "<strong>out</strong>"
    if couple in bottom:
        return "bottom"
    return ""


def _really(couple: str, week: WeekOutcome) -> str:
    if week.finale and couple in week.real_final_order:
        place = week.real_final_order.index(couple) + 1
        return "<strong>winner</strong>" if place == 1 else f"place {place}"
    if couple in week.real_eliminated:
        return "<strong>eliminated</strong>"
    if couple in week.real_bottom:
        return "bottom"
    return ""


def _model(replay: SeasonReplay) -> str:
    config = replay.config
    scores = config.scores
    electorate = config.electorate
    published = ", ".join(
        f"week {w}: {v:,}" for w, v in sorted(electorate.published_volumes.items())
    )
    skills = ", ".join(
        f"{_short(replay, c)} {v:+.2f}"
        for c, v in sorted(replay.fit.skill.items(), key=lambda item: -item[1])
    )
    rows = (
        ("Seed", str(config.seed)),
        ("Electorates", f"{config.electorates} (electorate i uses child i of the seed)"),
        ("Rule sets", ", ".join(config.rule_sets)),
        (
            "Unknown scores (sim)",
            "per judge and dance: clip(round(base + skill + trend x (week - 1) + dance shock + "
            "judge noise), 1, 10); a published total is met exactly",
        ),
        (
            "Fitted level and trend",
            f"base {replay.fit.base:.2f} points per judge, trend {replay.fit.trend:+.3f} per week "
            f"(prior {scores.trend_prior:+.2f} ± {scores.trend_prior_sd:.2f})",
        ),
        ("Fitted skill (points per judge)", skills),
        (
            "Score noise",
            f"dance shock sd {scores.dance_sd}, judge noise sd {scores.judge_sd}, "
            f"skill prior sd {scores.skill_prior_sd}",
        ),
        (
            "Electorate (sim)",
            f"log popularity = {electorate.spread} x ({electorate.rho} x quality + "
            f"{(1 - electorate.rho**2) ** 0.5:.2f} x fan base); weekly drift sd "
            f"{electorate.drift_sd}; tonight's points weight {electorate.tonight_weight}",
        ),
        (
            "Night volumes",
            f"published lower bounds ({published}); other weeks interpolated on a log scale x "
            f"log-normal (sd {electorate.volume_sd}), simulated",
        ),
        ("Judges' save (sim)", JUDGES_SAVE_RULE),
        ("Skating ordinals", SKATING_ORDINALS),
    )
    return _params(rows)


def _params(rows: Sequence[tuple[str, str]]) -> str:
    """Label and value pairs as the report's definition list."""
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<dl class="params">{items}</dl>'


# ---------------------------------------------------------------------------- the rehearsal


def _rehearsal_section(rehearsal: Rehearsal) -> str:
    """The live-night rehearsal: ingest, results, verification, integrity, files."""
    config = rehearsal.config
    intro = escape(
        f"Week {rehearsal.week}, {rehearsal.theme} (window {rehearsal.window}), played through "
        f"the real vote store: a synthetic electorate of {config.voters:,} organic voters "
        f"(seed {config.seed}) with {config.farms} duplicate-account farm(s), {config.bots} "
        f"bot burst(s) and an all-but-one campaign against "
        f"{_celebrity(rehearsal.names, config.campaign_target)} was imported through the "
        "live caps and window check, the night computed from the store's tallies, exported, "
        "verified, and analysed for abuse. Every vote here is simulated; unknown judges' "
        "scores are simulated by the replay's score model (marked sim)."
    )
    return (
        '<h2>Live-night rehearsal (simulated votes) <span class="badge">simulated</span></h2>'
        f"<p>{intro}</p>"
        f"<h3>Ingest</h3>{_ingest(rehearsal)}"
        f"<h3>Results from the store's tallies</h3>{_rehearsal_results(rehearsal)}"
        f"<h3>Verification</h3>{_verification(rehearsal)}"
        f"<h3>Integrity against the ground truth</h3>{_integrity(rehearsal)}"
        f"{_files(rehearsal)}"
    )


def _ingest(rehearsal: Rehearsal) -> str:
    ingest = rehearsal.ingest
    summary = ingest.summary
    planted = rehearsal.planted
    store = (
        f"{rehearsal.db_url.split(':', 1)[0]} (kept with --db)"
        if rehearsal.db_url
        else "SQLite in a temporary folder (the embedded default)"
    )
    refused = (
        ", ".join(
            f"{REFUSAL_WORDS.get(code, code.replace('_', ' '))}: {n:,}"
            for code, n in sorted(summary.refused_by_code.items())
        )
        or "none"
    )
    rows = (
        ("Store", store),
        ("Rows in the simulated file", f"{ingest.rows:,}"),
        ("Ballots", f"{summary.ballots:,}"),
        ("Accepted (acknowledged with a receipt)", f"{summary.accepted:,}"),
        ("Refused by the live rules", f"{summary.refused:,} ({refused})"),
        (
            "Planted for the store to refuse",
            f"{planted.over_cap_texts} texts past the cap of 10 per couple (each farm's "
            f"owner, from one phone); {planted.late_ballots} ballots after the window closed",
        ),
        ("Votes counted", f"{ingest.votes:,}"),
        (
            "Ingest time (measured, varies by machine)",
            f"{ingest.seconds:.2f} s: {ingest.ballots_per_s:,.0f} ballots/s, "
            f"{ingest.rows_per_s:,.0f} rows/s",
        ),
    )
    return _params(rows)


def _rehearsal_results(rehearsal: Rehearsal) -> str:
    result = rehearsal.result
    points = rehearsal.night.judges_points()
    rows: list[str] = []
    for standing in result.standings:
        couple = standing.couple
        tally = rehearsal.tallies.get(couple, {})
        sim = "" if rehearsal.points_known.get(couple, False) else '<span class="badge">sim</span>'
        tonight = (
            "<strong>out</strong>"
            if couple in result.eliminated
            else ("bottom" if couple in result.bottom else "")
        )
        really = (
            "<strong>eliminated</strong>"
            if couple in rehearsal.real_eliminated
            else ("bottom" if couple in rehearsal.real_bottom else "")
        )
        row_class = ' class="out"' if couple in result.eliminated else ""
        rows.append(
            f"<tr{row_class}><td>{standing.place}</td>"
            f'<td class="l">{escape(rehearsal.names.get(couple, couple))}</td>'
            f"<td>{_number(points[couple])}{sim}</td>"
            f"<td>{tally.get('web', 0):,}</td><td>{tally.get('sms', 0):,}</td>"
            f"<td>{standing.votes:,}</td>"
            f"<td>{_pct1(standing.judges_share)}</td>"
            f"<td>{_pct1(standing.vote_share)}</td><td>{standing.combined:.4f}</td>"
            f'<td class="l">{tonight}</td><td class="l">{really}</td></tr>'
        )
    explanation = "".join(
        f"<li>{escape(_with_names(line, rehearsal.names))}</li>" for line in result.explanation
    )
    return (
        '<div class="scroll"><table><thead><tr><th>Place</th><th class="l">Couple</th>'
        "<th>Judges</th><th>Web votes (sim)</th><th>SMS votes (sim)</th><th>Votes (sim)</th>"
        "<th>Judges %</th><th>Votes %</th><th>Combined</th>"
        f'<th class="l">Tonight ({escape(result.rules)})</th><th class="l">Really</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f"<ul>{explanation}</ul>"
        '<p class="muted">The night\'s request is saved as <code>night.json</code>: '
        "<code>ballroom results night.json</code> recomputes it, and "
        "<code>ballroom results --schema</code> describes its format.</p>"
    )


def _verification(rehearsal: Rehearsal) -> str:
    checks = rehearsal.verification
    if not checks.ok:
        return f'<p class="fail">Verification failed: {escape(checks.message)}</p>'
    tallies = (
        '<span class="ok">tallies match</span>'
        if checks.tallies_match
        else '<span class="fail">tallies differ from the store</span>'
    )
    receipts = (
        '<span class="ok">every acknowledged receipt is published</span>'
        if checks.receipts_match
        else '<span class="fail">published receipts differ from those acknowledged</span>'
    )
    return (
        f'<p><span class="ok">verified</span>: chain root <code class="hash">'
        f"{escape(checks.root)}</code>, {checks.entries:,} ballots, {tallies}; {receipts}. "
        "The same check as <code>ballroom verify EXPORT_DIR</code> on the exported folder.</p>"
    )


def _integrity(rehearsal: Rehearsal) -> str:
    found = rehearsal.integrity
    names = rehearsal.names
    headline = (
        f"{found.flagged:,} of {found.voters:,} voters flagged; {found.abusive:,} abusive "
        f"accounts were planted: precision {_pct1(found.precision)}, recall "
        f"{_pct1(found.recall)}. Tactical campaign voters flagged: {found.tactical_flagged} "
        f"of {found.tactical:,} (a campaign of real, distinct voters is legal: reported, "
        "never flagged)."
    )
    groups = "".join(
        f'<tr><td class="l">{escape(str(g["kind"]))}</td><td class="l">{escape(str(g["style"]))}'
        f'</td><td class="l">{escape(_aim(names, str(g["aim"])))}</td><td>{g["accounts"]}</td>'
        f"<td>{g['flagged']}</td></tr>"
        for g in found.groups
    )
    planted = {c["target"]: c["voters"] for c in found.campaigns_planted}
    campaigns = (
        "".join(
            f'<tr><td class="l">all but {escape(_celebrity(names, c["target"]))}</td>'
            f"<td>{c['voters']:,}</td><td>{c['votes']:,}</td>"
            f"<td>{planted.get(c['target'], 0):,}</td></tr>"
            for c in found.campaigns_found
        )
        or '<tr><td class="l" colspan="4">no campaign found</td></tr>'
    )
    return (
        f"<p>{escape(headline)}</p>"
        '<div class="scroll"><table><thead><tr><th class="l">Planted</th>'
        '<th class="l">How</th><th class="l">Aim</th><th>Accounts</th><th>Flagged</th>'
        f"</tr></thead><tbody>{groups}</tbody></table></div>"
        '<div class="scroll"><table><thead><tr><th class="l">Campaign found</th>'
        "<th>Voters</th><th>Votes</th><th>Campaign voters planted</th></tr></thead>"
        f"<tbody>{campaigns}</tbody></table></div>"
        f"{_counterfactual(rehearsal)}"
    )


def _counterfactual(rehearsal: Rehearsal) -> str:
    effect = rehearsal.integrity.counterfactual
    if effect is None:
        return ""
    names = rehearsal.names

    def who(key: str) -> str:
        return ", ".join(_celebrity(names, c) for c in effect.get(key, [])) or "nobody"

    def gap(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, int | float) else "n/a"

    verdict = (
        '<strong class="fail">the elimination changes</strong>'
        if effect.get("changes")
        else "the elimination does not change"
    )
    lines = [
        f"As cast, {escape(who('eliminated'))} goes home (margin "
        f"{gap(effect.get('margin'))}). Without the flagged voters' "
        f"{int(effect.get('flagged_votes', 0)):,} votes: "
        f"{escape(who('eliminated_without_flagged'))} (margin "
        f"{gap(effect.get('margin_without_flagged'))}): {verdict}."
    ]
    for campaign in effect.get("campaigns", []):
        target = _celebrity(names, str(campaign.get("target", "")))
        without = ", ".join(
            _celebrity(names, c) for c in campaign.get("eliminated_without_campaign", [])
        )
        lines.append(
            f"Without the campaign against {escape(target)}: {escape(without or 'nobody')} "
            f"(margin {gap(campaign.get('margin_without_campaign'))})."
        )
    boot = effect.get("bootstrap") or {}
    if boot.get("draws"):
        lines.append(
            f"Resampling the voters {boot['draws']} times, the elimination holds in "
            f"{_pct1(float(boot.get('holds', 0.0)))} of draws "
            f"({_pct1(float(boot.get('holds_without_flagged', 0.0)))} without the flagged)."
        )
    return "<p>Counterfactual: " + " ".join(lines) + "</p>"


def _files(rehearsal: Rehearsal) -> str:
    if rehearsal.folder is None:
        return ""
    return (
        f'<p class="muted">Files in <code>{escape(str(rehearsal.folder))}</code>: '
        "<code>export/</code> (votes.csv, receipts.csv, chain.json, results.json), "
        "<code>night.json</code>, <code>standings.json</code>, <code>integrity.json</code>, "
        "<code>truth.json</code> (the generator's ground truth) and "
        "<code>rehearsal.json</code>.</p>"
    )


def _celebrity(names: Mapping[str, str], couple: str) -> str:
    return names.get(couple, couple).split(" & ")[0]


def _aim(names: Mapping[str, str], aim: str) -> str:
    """Names the couple of an aim: for andy -> for Andy Richter."""
    head, _, couple = aim.rpartition(" ")
    return f"{head} {_celebrity(names, couple)}" if head else aim


def _pct1(value: float) -> str:
    return f"{100 * value:.1f}%"
