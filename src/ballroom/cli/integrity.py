"""``ballroom integrity analyze|eval``: vote-integrity reports (docs/interfaces.md §3)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ballroom.adapters.results_request import parse_request
from ballroom.cli._common import read_json_file, reports_errors
from ballroom.domain.night import Night
from ballroom.errors import WrongType
from ballroom.integrity import coaction
from ballroom.integrity.analysis import Report, analyze_file
from ballroom.integrity.evaluate import evaluate, markdown
from ballroom.integrity.families import FAMILIES, family
from ballroom.integrity.html import report_html


@click.group()
def integrity() -> None:
    """Find duplicate accounts, bots and campaigns in a vote log, and their effect."""


@integrity.command()
@click.argument("votes_file", metavar="VOTES.csv", type=click.Path(path_type=Path))
@click.option(
    "--results",
    "results_file",
    type=click.Path(path_type=Path),
    default=None,
    help=(
        "The night's request (docs/interfaces.md §1) to measure the effect on; its votes "
        "may be left out: the log's count replaces them."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print docs/interfaces.md §3 JSON.")
@click.option(
    "--html",
    "html_out",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write a self-contained HTML report with charts.",
)
@click.option("--window", default=None, help="Analyse this window when the log holds several.")
@click.option("--draws", default=200, show_default=True, help="Bootstrap draws.")
@click.option("--seed", default=0, show_default=True, help="Seed of the bootstrap.")
@click.option(
    "--accel",
    type=click.Choice(coaction.ACCELS, case_sensitive=False),
    envvar=coaction.ACCEL_ENV,
    default="auto",
    show_default=True,
    help="Co-action (lockstep) kernel: torch on a CUDA GPU when present (auto), numpy (cpu), "
    f"or PyTorch on CUDA else CPU (torch). Also {coaction.ACCEL_ENV}. Same report on each.",
)
@reports_errors
def analyze(
    *,
    votes_file: Path,
    results_file: Path | None,
    as_json: bool,
    html_out: Path | None,
    window: str | None,
    draws: int,
    seed: int,
    accel: str,
) -> None:
    """Analyse one night's vote log (CSV or Parquet, docs/interfaces.md §2).

    Flags accounts that break the rules (duplicate accounts, bots) with evidence, reports
    all-but-one campaigns by distinct voters without flagging them, and with --results says
    whether the elimination changes without the flagged votes or without each campaign.
    """
    night = None
    if results_file is not None:
        request = parse_request(read_json_file(results_file), votes_from_log=True)
        if not isinstance(request, Night):
            raise WrongType(
                "--results needs a request with scores and votes; the skating rule set "
                "has no viewer vote to analyse",
                field="rules",
            )
        night = request
    with coaction.selected(accel):
        report = analyze_file(votes_file, night, window=window, seed=seed, draws=draws)
    body = report.as_dict()
    if html_out is not None:
        html_out.write_text(report_html(body, report.timeline, str(votes_file)), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(body, indent=1))
        return
    _print_report(report)


def _print_report(report: Report) -> None:
    console = Console()
    summary = Table(title=f"Integrity — window {report.window}", show_header=False)
    for name, value in (
        ("voters", f"{report.voters:,}"),
        ("ballots", f"{report.ballots:,}"),
        ("rows", f"{report.rows:,}"),
        ("flagged voters", f"{len(report.flagged_voters):,}"),
        *((f"  flagged by {k}", f"{v:,}") for k, v in report.reasons.items()),
    ):
        summary.add_row(name, value)
    console.print(summary)
    if report.findings.campaigns:
        table = Table(title="Campaigns (tactical voting is legal: reported, not flagged)")
        for column in ("target", "voters", "votes", "flagged among them", "peak (UTC)"):
            table.add_column(column)
        for c in report.findings.campaigns:
            table.add_row(c.target, f"{c.voters:,}", f"{c.votes:,}", str(c.flagged), c.peak_minute)
        console.print(table)
    strongest = report.flagged_evidence()[:10]
    if strongest:
        table = Table(title="Flagged voters, strongest evidence first (flagged at 1.0)")
        for column in ("voter", "strength", "signals"):
            table.add_column(column)
        for entry in strongest:
            signals = ", ".join(f"{k} {v:.1f}" for k, v in entry["signals"].items())
            table.add_row(entry["voter"], f"{entry['strength']:.1f}", signals)
        console.print(table)
    clusters = Table(title="Clusters (largest first)")
    for column in ("kind", "accounts", "flagged", "evidence"):
        clusters.add_column(column)
    for cluster in report.findings.clusters[:30]:
        clusters.add_row(
            cluster.kind,
            str(len(cluster.voters)),
            "yes" if cluster.flagged else "no",
            cluster.evidence,
        )
    console.print(clusters)
    cf = report.counterfactual
    if cf is None:
        console.print("No --results request given: effect on the elimination not computed.")
        return
    effect = Table(title="Effect on the elimination")
    effect.add_column("votes counted")
    effect.add_column("eliminated")
    effect.add_column("margin")
    effect.add_row("as cast", ", ".join(cf["eliminated"]) or "nobody", str(cf["margin"]))
    effect.add_row(
        "without flagged",
        ", ".join(cf["eliminated_without_flagged"]) or "nobody",
        str(cf["margin_without_flagged"]),
    )
    for case in cf.get("band", {}).get("cases", []):
        effect.add_row(
            f"  {case['case']}",
            ", ".join(case["eliminated"]) or "nobody",
            "" if case["margin"] is None else str(case["margin"]),
        )
    for c in cf["campaigns"]:
        effect.add_row(
            f"without campaign vs {c['target']}",
            ", ".join(c["eliminated_without_campaign"]) or "nobody",
            str(c["margin_without_campaign"]),
        )
    console.print(effect)
    if cf.get("verdict"):
        console.print(cf["verdict"])
    boot = cf.get("bootstrap", {})
    if boot.get("draws"):
        console.print(
            f"Bootstrap over voters ({boot['method']}, {boot['draws']} draws): the "
            f"elimination holds in {boot['holds']:.0%} of draws "
            f"({boot['holds_without_flagged']:.0%} without flagged votes)."
        )


@integrity.command("eval")
@click.option(
    "--seeds", default=6, show_default=True, help="Nights per family (fewer hide rare misses)."
)
@click.option("--voters", default=20_000, show_default=True, help="Voters per night.")
@click.option(
    "--family",
    "family_names",
    multiple=True,
    help=f"Only this family (repeatable): {', '.join(f.name for f in FAMILIES)}.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--write",
    "write_doc",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the tables into this Markdown file (e.g. docs/integrity.md).",
)
@reports_errors
def eval_command(
    *, seeds: int, voters: int, family_names: tuple[str, ...], as_json: bool, write_doc: Path | None
) -> None:
    """Score the analysis on generated nights of each scenario family.

    Per family: precision and recall per abuse kind, the share of each benign population
    flagged, and the campaigns found. Exits 1 if a target is missed.
    """
    if seeds < 1:
        raise WrongType("--seeds must be at least 1", field="seeds")
    if voters < 1000:
        raise WrongType("--voters must be at least 1000", field="voters")
    chosen = [family(name) for name in family_names] if family_names else list(FAMILIES)
    results = evaluate(chosen, voters=voters, seeds=seeds)
    table = markdown(results)
    if as_json:
        click.echo(json.dumps({r.family.name: r.counts.as_dict() for r in results}, indent=1))
    else:
        click.echo(table)
    if write_doc is not None:
        _write_section(write_doc, table)
    if not all(result.meets_targets() for result in results):
        click.echo("error: a target was missed", err=True)
        raise SystemExit(1)


_BEGIN = "<!-- integrity-eval:begin -->"
_END = "<!-- integrity-eval:end -->"


def _write_section(path: Path, table: str) -> None:
    """Replace the generated table between markers, keeping the rest of the document."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{_BEGIN}\n{table}{_END}"
    if _BEGIN in text and _END in text:
        head, _, rest = text.partition(_BEGIN)
        _, _, tail = rest.partition(_END)
        text = head + block + tail
    else:
        text = text + ("\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")
