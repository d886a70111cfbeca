"""The rule sets that turn one night's scores and votes into standings and an elimination.

Each rule set is a pure function ``compute(night) -> NightResult`` in its own module, with its
arithmetic in the module docstring. ``compute`` here picks one by ``night.rules``. The Skating
System works on judges' ordinal marks instead of scores and votes, so it has its own entry
point in ``ballroom.domain.rules.skating``.
"""

from __future__ import annotations

from ballroom.domain.night import Night, NightResult
from ballroom.domain.rules import dwts, judges_save, strictly
from ballroom.errors import InvalidInput, UnknownRules

RULE_SET_NAMES = ("dwts", "dwts-judges-save", "strictly", "skating")

_DESCRIPTIONS = {
    "dwts": (
        "dwts (the default, Dancing with the Stars): each couple's share of all judges' points "
        "that night (every dance, bonus and carried points) plus its share of all viewer votes "
        "(carried votes included); the lowest combined total goes home. eliminate may be 0 "
        "(nobody goes), 1 or 2; the eliminate+1 lowest are shown as the bottom. Ties: fewer "
        "viewer votes ranks lower, then fewer judges' points; an exact tie across the line is "
        "reported for the producers, never guessed."
    ),
    "dwts-judges-save": (
        "dwts-judges-save (Dancing with the Stars, Seasons 28-31): the combined total, as in "
        "dwts, picks the bottom two (three on a double elimination); the judges vote whom to "
        "save (save_votes: judge -> couple), the most votes save, and the head judge's vote "
        "breaks a split (head_judge). Without save votes the bottom is announced and nobody "
        "goes yet."
    ),
    "strictly": (
        "strictly (BBC Strictly Come Dancing): judges' totals and public votes each become "
        "rank points (with N couples the top gets N; tied couples share the higher points and "
        "the next gets one fewer); their sum ranks the night, ties going the public's way. The "
        "bottom two dance off and the judges save one as in dwts-judges-save. In the final "
        "(final: true) only the public vote counts."
    ),
    "skating": (
        "skating (the Skating System, rules 5-11, used in dancesport finals): each judge "
        "places every couple in every dance (marks); a couple's place in a dance comes from "
        "the majority of judges' placings, and the final result from the dance places, with "
        "the rules' tie-breaks. Takes marks instead of dances and votes."
    ),
}


def compute(night: Night) -> NightResult:
    """Compute the night under the rule set named by ``night.rules``."""
    if night.rules == "dwts":
        return dwts.compute(night)
    if night.rules == "dwts-judges-save":
        return judges_save.compute(night)
    if night.rules == "strictly":
        return strictly.compute(night)
    if night.rules == "skating":
        raise InvalidInput(
            "the skating rules take judges' ordinal marks (marks), not scores and votes; "
            "they are computed by ballroom.domain.rules.skating",
            field="rules",
        )
    raise _unknown(night.rules)


def describe(name: str) -> str:
    """One paragraph on how the rule set ``name`` decides a night (for --help and docs)."""
    if name not in _DESCRIPTIONS:
        raise _unknown(name)
    return _DESCRIPTIONS[name]


def _unknown(name: str) -> UnknownRules:
    return UnknownRules(
        f"unknown rules {name!r}; choose one of {', '.join(RULE_SET_NAMES)}", field="rules"
    )


__all__ = ["RULE_SET_NAMES", "compute", "describe"]
