"""``dwts-judges-save``: the combined total finds the bottom, the judges save one (Seasons 28–31).

The night is ranked exactly as ``dwts`` ranks it (judges' share + vote share, ties broken by
fewer viewer votes, then fewer judges' points, an exact tie left to the producers). The
``eliminate`` + 1 lowest couples form the bottom (the bottom two on a normal night, three on a
double elimination) and the judges save one of them; the others go home.

The judges' save (shared with ``strictly``): ``save_votes`` maps each judge who voted to the
couple they save, and is the judges' complete decision (a judge absent from it abstains). The
couple with the most save votes is saved, which in a dance-off of two is the majority. If the
most votes are shared (a split) the head judge's vote decides. No save votes at all: the bottom
is announced and nobody is eliminated yet. A save vote for a couple outside the bottom, a
split without a head judge, or a head judge who did not vote for one of the split couples is
an error naming the field to fix.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ballroom.domain.night import Night, NightResult
from ballroom.domain.rules import dwts
from ballroom.domain.rules._ranking import bottom_name, digits_to_separate, lowest, names
from ballroom.errors import InvalidInput, UnknownJudge, UnresolvableTie

NAME = "dwts-judges-save"


@dataclass(frozen=True)
class Save:
    """The judges' decision: who is saved, the votes, and the head judge if a split needed one."""

    saved: str
    counts: dict[str, int]
    head_judge: str | None = None


def check_save_votes(night: Night, bottom: tuple[str, ...]) -> None:
    """Every save vote must come from a judge on the panel and save a couple in the bottom."""
    if night.head_judge is not None and (
        night.head_judge not in night.judges or night.head_judge in night.absent_judges
    ):
        raise UnknownJudge(
            f"head_judge {night.head_judge!r} is not on the panel", field="head_judge"
        )
    for judge, couple in sorted(night.save_votes.items()):
        spot = f"save_votes.{judge}"
        if judge not in night.judges or judge in night.absent_judges:
            raise UnknownJudge(f"{spot}: {judge!r} is not on the panel tonight", field=spot)
        if couple not in bottom:
            raise InvalidInput(
                f"{spot}: {couple!r} is not in the {bottom_name(len(bottom)).lower()} "
                f"({', '.join(bottom)}); the judges can only save a couple from the dance-off",
                field=spot,
            )


def judges_save(night: Night, bottom: tuple[str, ...]) -> Save | None:
    """The couple the judges save from ``bottom``, or None when no save votes are given."""
    check_save_votes(night, bottom)
    if not night.save_votes:
        return None
    counts = dict(Counter(night.save_votes.values()))
    most = max(counts.values())
    leaders = sorted(couple for couple, count in counts.items() if count == most)
    if len(leaders) == 1:
        return Save(saved=leaders[0], counts=counts)
    split = f"the judges split ({votes_text(counts)}) between {names(leaders)}"
    head = night.head_judge
    if head is None:
        raise UnresolvableTie(f"{split}; a head_judge is needed to break it", field="head_judge")
    choice = night.save_votes.get(head)
    if choice is None:
        raise UnresolvableTie(
            f"{split}; head judge {head} cast no save vote to break it", field=f"save_votes.{head}"
        )
    if choice not in leaders:
        raise UnresolvableTie(
            f"{split}; head judge {head} voted to save {choice}, who is not one of them",
            field=f"save_votes.{head}",
        )
    return Save(saved=choice, counts=counts, head_judge=head)


def votes_text(counts: dict[str, int]) -> str:
    """``save votes: hilaria 2, whitney 1`` (most first, then by name)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "save votes: " + ", ".join(f"{couple} {count}" for couple, count in ordered)


def dance_off(night: Night, bottom: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """Who goes after the judges' save from a settled ``bottom``, and the sentences saying so."""
    save = judges_save(night, bottom)
    if save is None:
        return (), [
            f"The judges' save decides between {names(bottom)}; no save votes were given, "
            "so nobody is eliminated yet."
        ]
    eliminated = tuple(couple for couple in bottom if couple != save.saved)
    verb = "is" if len(eliminated) == 1 else "are"
    if save.head_judge is None:
        how = f"The judges save {save.saved} ({votes_text(save.counts)})"
    else:
        how = (
            f"The judges split ({votes_text(save.counts)}); head judge {save.head_judge}'s "
            f"vote saves {save.saved}"
        )
    return eliminated, [f"{how}; {names(eliminated)} {verb} eliminated."]


NO_DANCE_OFF = "No couple is eliminated tonight (eliminate 0), so there is no dance-off."


def refuse_save_votes_without_dance_off(night: Night) -> None:
    """Save votes on a night without elimination are a mistake worth naming, not ignoring."""
    if night.save_votes:
        raise InvalidInput(
            "no couple is eliminated tonight (eliminate 0), so there is no dance-off to save from",
            field="save_votes",
        )


def compute(night: Night) -> NightResult:
    """Bottom ``eliminate`` + 1 by combined total; the judges save one, the rest go home."""
    ranking = dwts.rank(night)
    standings = dwts.standings(ranking)
    final_ties, final_text = dwts.final_lines(night, ranking)
    if night.eliminate == 0:
        refuse_save_votes_without_dance_off(night)
        return NightResult(
            rules=NAME,
            standings=standings,
            bottom=(),
            eliminated=(),
            ties=final_ties,
            explanation=(
                NO_DANCE_OFF,
                *final_text,
            ),
        )
    cut = lowest(ranking.groups, night.eliminate + 1)
    bottom = (*cut.inside, *cut.tied)
    order = ranking.worst_first()
    shown = order[: len(bottom) + 1]
    digits = digits_to_separate(ranking.tally[couple].combined for couple in shown)
    lines = [
        f"{bottom_name(len(bottom))} by combined total (lowest first): "
        + ", ".join(f"{c} {dwts.total_text(ranking.tally[c], digits)}" for c in bottom)
        + "."
    ]
    if cut.tied:
        check_save_votes(night, bottom)
        lines.append(
            dwts.unresolved_text(
                ranking, cut.tied, digits, "the producers must decide who dances off"
            )
        )
        eliminated: tuple[str, ...] = ()
    else:
        if len(order) > len(bottom):
            highest_bottom, next_up = order[len(bottom) - 1], order[len(bottom)]
            if ranking.tally[highest_bottom].combined == ranking.tally[next_up].combined:
                lines.append(dwts.tie_break_text(ranking, highest_bottom, next_up, digits))
        eliminated, decision = dance_off(night, bottom)
        lines.extend(decision)
    return NightResult(
        rules=NAME,
        standings=standings,
        bottom=bottom,
        eliminated=eliminated,
        ties=(cut.tied, *final_ties) if cut.tied else final_ties,
        explanation=(*lines, *final_text),
    )
