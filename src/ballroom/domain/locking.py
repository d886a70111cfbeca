"""When a night's keyed scores may be locked: complete, or every hole explained.

A lock makes the scores final, and the results are computed from them; a missing score must
never become a zero. So a sheet with missing scores locks only when each missing score
belongs to a judge the producer declares absent, with a reason in words (the reason is kept
with the lock and in the audit log). A declaration must name a judge of the night's panel who
is in fact missing scores: a wrong declaration is refused, never read "as best we can".
"""

from __future__ import annotations

from collections.abc import Sequence

from ballroom.domain.scoring import ScoreSheet, still_missing
from ballroom.errors import InvalidInput, ScoresIncomplete, UnknownJudge, WrongType

MAX_REASON = 500
"""The longest reason kept (characters)."""


def check_lock(sheet: ScoreSheet, absences: Sequence[tuple[object, object]]) -> dict[str, str]:
    """The declared absent judges and their reasons, once the sheet may be locked with them;
    ``UnknownJudge``/``InvalidInput`` naming the declaration at fault (``absent.<i>.judge``
    or ``.reason``), or ``ScoresIncomplete`` naming the missing scores no absence explains.
    """
    missing = sheet.missing()
    missing_judges = {judge for judge, _, _ in missing}
    absent: dict[str, str] = {}
    for index, (judge, reason) in enumerate(absences):
        where = f"absent.{index}"
        if not isinstance(judge, str) or not isinstance(reason, str):
            raise WrongType("an absence is a judge id and a reason in words", field=where)
        if judge not in sheet.judges:
            raise UnknownJudge(
                f"{judge!r} is not on tonight's panel ({', '.join(sheet.judges)})",
                field=f"{where}.judge",
            )
        if judge in absent:
            raise InvalidInput(f"{judge} is declared absent twice", field=f"{where}.judge")
        if judge not in missing_judges:
            raise InvalidInput(
                f"{judge} has keyed every score: only a judge with missing scores is absent",
                field=f"{where}.judge",
            )
        text = reason.strip()
        if not text or len(text) > MAX_REASON:
            raise InvalidInput(
                f"say why {judge} is absent, in 1 to {MAX_REASON} characters",
                field=f"{where}.reason",
            )
        absent[judge] = text
    unexplained = [(j, c, r) for j, c, r in missing if j not in absent]
    if unexplained:
        raise ScoresIncomplete(
            f"{still_missing(unexplained)}; key them, or declare their judge absent with a "
            "reason, before locking",
            field="scores",
        )
    return absent
