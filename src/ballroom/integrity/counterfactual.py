"""The effect of flagged accounts and of campaigns on the night's elimination.

The night is recomputed by the real rule set (``ballroom.domain.rules.compute``) with the
public vote taken from the log, then again without the flagged voters and without each
campaign. The margin is the gap in the rule set's combined score at the elimination line, and
a bootstrap over voters says how often the elimination holds if the night's electorate were
drawn again: exact (Poisson weights per voter) for small nights, and for large ones a normal
draw with the same first and second moments (the sum of many independent voters).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ballroom.domain.night import Night, NightResult
from ballroom.domain.rules import compute
from ballroom.errors import BallroomError, InvalidInput
from ballroom.integrity.detectors import Campaign
from ballroom.integrity.tally import Allocations

BoolArray = npt.NDArray[np.bool_]
_EXACT_LIMIT = 50_000_000  # voters x draws beyond which the normal draw is used
WRONG_SHARE = 0.1  # "what if a tenth of the flags were wrong"
WRONG_DRAWS = 20


def uncertainty_band(
    night: Night,
    alloc: Allocations,
    flagged: BoolArray,
    score: npt.NDArray[np.float32] | None,
    strong: BoolArray | None,
    *,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The elimination without the flagged votes, as far as the detection can be trusted."""
    cases: list[dict[str, Any]] = []
    idx = np.flatnonzero(flagged)

    def case(name: str, removed: BoolArray) -> dict[str, Any]:
        out, gap = _outcome(night, alloc.totals(~removed))
        return {
            "case": name,
            "removed_voters": int(removed.sum()),
            "eliminated": out,
            "margin": gap,
        }

    if strong is not None:
        cases.append(case("strongly evidenced only", flagged & strong))
    wrong = int(np.ceil(WRONG_SHARE * len(idx)))
    if wrong and score is not None:
        weakest = idx[np.lexsort((idx, score[idx]))[:wrong]]
        kept = flagged.copy()
        kept[weakest] = False
        cases.append(case("the weakest tenth of the flags wrong", kept))
    random_outcomes: list[list[str]] = []
    if wrong:
        for _ in range(WRONG_DRAWS):
            kept = flagged.copy()
            kept[rng.choice(idx, size=wrong, replace=False)] = False
            random_outcomes.append(_outcome(night, alloc.totals(~kept))[0])
        commonest = max(random_outcomes, key=random_outcomes.count)
        cases.append(
            {
                "case": f"a random tenth of the flags wrong ({WRONG_DRAWS} draws)",
                "removed_voters": int(len(idx) - wrong),
                "eliminated": commonest,
                "margin": None,
                "draws_agreeing": random_outcomes.count(commonest),
            }
        )
    # Every random draw must agree too for the band to hold.
    distinct = {tuple(out) for out in random_outcomes}
    return {"cases": cases, "random_outcomes": sorted(list(o) for o in distinct)}


def _verdict(body: dict[str, Any], band: dict[str, Any], eliminated: list[str]) -> str:
    names = ", ".join(eliminated) or "nobody"
    if not body["changes_as_flagged"]:
        return f"Without the flagged votes the elimination would not change: {names} either way."
    without = ", ".join(body["eliminated_without_flagged"]) or "nobody"
    if body["changes"]:
        return (
            f"Without the flagged votes the elimination would change ({names} → {without}), "
            "and it does across the detection's uncertainty (strong flags only, a tenth of "
            "the flags wrong)."
        )
    return (
        f"Without the flagged votes the elimination would change ({names} → {without}), but "
        "not across the detection's uncertainty (strong flags only, or a tenth of the flags "
        "wrong): no change is claimed."
    )


def _with_votes(night: Night, totals: npt.NDArray[np.int64]) -> Night:
    return replace(night, votes={c: int(v) for c, v in zip(night.couples, totals, strict=True)})


def _outcome(night: Night, totals: npt.NDArray[np.int64]) -> tuple[list[str], float | None]:
    """Who goes home (or, under a judges' save, who is in the bottom) and the margin."""
    result = compute(_with_votes(night, totals))
    line = list(result.eliminated) or (list(result.bottom) if night.eliminate else [])
    return list(result.eliminated), margin(result, line)


def margin(result: NightResult, line: list[str]) -> float | None:
    """Combined-score gap between the best couple below the line and the worst above it."""
    if not line:
        return None
    below = [s.combined for s in result.standings if s.couple in line]
    above = [s.combined for s in result.standings if s.couple not in line]
    if not below or not above:
        return None
    return round(float(min(above)) - float(max(below)), 6)


def effect(
    night: Night,
    alloc: Allocations,
    flagged: BoolArray,
    campaigns: list[Campaign],
    *,
    rng: np.random.Generator,
    draws: int = 200,
    score: npt.NDArray[np.float32] | None = None,
    strong: BoolArray | None = None,
) -> dict[str, Any]:
    """The counterfactual block of docs/interfaces.md §3, with optional extra detail.

    ``changes`` is claimed only when the elimination changes across the detection's own
    uncertainty (``band``): removing every flagged voter, only the strongly evidenced ones
    (``strong``), all but the weakest tenth (by ``score``), and all but a random tenth
    (``WRONG_DRAWS`` draws). ``changes_as_flagged`` is the plain comparison.
    """
    if night.rules == "skating":
        raise InvalidInput("the skating rules have no public vote to analyse", field="rules")
    if list(alloc.couples) != list(night.couples):
        raise InvalidInput("allocations and night list different couples", field="couples")
    everyone = alloc.totals()
    clean = alloc.totals(~flagged)
    eliminated, gap = _outcome(night, everyone)
    eliminated_clean, gap_clean = _outcome(night, clean)
    body: dict[str, Any] = {
        "eliminated": eliminated,
        "eliminated_without_flagged": eliminated_clean,
        "margin": gap,
        "changes_as_flagged": eliminated != eliminated_clean,
        "margin_without_flagged": gap_clean,
        "votes": alloc.tallies(),
        "votes_without_flagged": alloc.tallies(~flagged),
        "flagged_votes": int(everyone.sum() - clean.sum()),
    }
    band = uncertainty_band(night, alloc, flagged, score, strong, rng=rng)
    body["band"] = band
    body["changes"] = (
        eliminated != eliminated_clean
        and all(case["eliminated"] != eliminated for case in band["cases"])
        and all(outcome != eliminated for outcome in band["random_outcomes"])
    )
    body["verdict"] = _verdict(body, band, eliminated)
    body["campaigns"] = []
    for campaign in campaigns:
        without, gap_without = _outcome(night, alloc.totals(~campaign.members))
        body["campaigns"].append(
            {
                "target": campaign.target,
                "eliminated_without_campaign": without,
                "changes": without != eliminated,
                "margin_without_campaign": gap_without,
            }
        )
    body["bootstrap"] = bootstrap(night, alloc, flagged, eliminated, rng=rng, draws=draws)
    return body


def bootstrap(
    night: Night,
    alloc: Allocations,
    flagged: BoolArray,
    eliminated: list[str],
    *,
    rng: np.random.Generator,
    draws: int,
) -> dict[str, Any]:
    """How often the as-cast elimination holds when the voters are resampled."""
    if draws <= 0 or not night.eliminate:
        return {"draws": 0}
    holds = {"all": 0, "without_flagged": 0}
    method = "poisson" if alloc.n_voters * draws <= _EXACT_LIMIT else "normal"
    for name, keep in (("all", None), ("without_flagged", ~flagged)):
        samples = _resample(alloc, keep, rng, draws, method)
        for totals in samples:
            try:
                out, _ = _outcome(night, totals)
            except BallroomError:
                continue  # a draw the rules cannot settle (an exact tie) does not hold
            holds[name] += out == eliminated
    return {
        "method": method,
        "draws": draws,
        "holds": round(holds["all"] / draws, 4),
        "holds_without_flagged": round(holds["without_flagged"] / draws, 4),
    }


def _resample(
    alloc: Allocations,
    keep: BoolArray | None,
    rng: np.random.Generator,
    draws: int,
    method: str,
) -> npt.NDArray[np.int64]:
    web = alloc.web if keep is None else alloc.web[keep]
    sms = alloc.sms if keep is None else alloc.sms[keep]
    if method == "poisson":
        per_voter = web.astype(np.int64) + sms
        weights = rng.poisson(1.0, size=(draws, len(per_voter)))
        return weights @ per_voter
    mean = web.sum(axis=0, dtype=np.float64) + sms.sum(axis=0, dtype=np.float64)
    second = np.zeros((len(mean), len(mean)))
    for start in range(0, len(web), 1_000_000):  # chunks keep the float copy small
        block = web[start : start + 1_000_000].astype(np.float64) + sms[start : start + 1_000_000]
        second += block.T @ block
    sample = rng.multivariate_normal(mean, second, size=draws, method="eigh")
    return np.maximum(np.rint(sample), 0).astype(np.int64)
