"""The evidence model: every signal has a strength, and a voter is flagged only when the
strengths of their signals add up to ``FLAG_AT``.

Strong signals reach it alone (the same normalised mailbox; a run of five or more numbered
names; a device behind ten accounts or more; machine-regular timing; a SIM bank's numbers at
machine pace). Weak ones never do, alone or together with the other weak signals a real
household shows (a tablet shared by up to five, one home address, a favourite couple, a
disposable address): see docs/integrity.md for each weight and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FLAG_AT = 1.0
STRONG = 1.0

# Accounts per device -> strength. US households: 2.5 people on average, 1 in 10 homes has
# five or more people and about 1 in 30 six or more (Census, docs/integrity.md).
DEVICE_STEPS = ((2, 0.1), (3, 0.2), (6, 0.6), (10, STRONG))
# A mailbox or device behind this many accounts (and this share of the night) is a
# placeholder or a coarse fingerprint, not one person: weak.
PLACEHOLDER_MIN = 200
PLACEHOLDER_SHARE = 0.005
PLACEHOLDER = 0.2
DEVICE_SAME_BALLOT = 0.4  # a device of 6+ accounts whose ballots are all identical
DISPOSABLE = 0.3
DEVICE_DISPOSABLE = 0.5  # three or more throw-away addresses on one device
DEVICE_DISPOSABLE_MIN = 3
SEQUENTIAL_STEPS = ((3, 0.5), (5, STRONG))  # run length -> strength
MAILBOX = STRONG
MACHINE_TIMING = STRONG  # a period of ten clock ticks or more
COARSE_TIMING = 0.5  # shorter: chance runs happen at busy addresses
RUN_SAME_BALLOT = 0.5  # ... unless 80 % of the run cast one ballot
SMS_MACHINE_PACE = 0.5  # a machine-paced number among others (a run or an exchange)
SMS_LONE_MACHINE = 0.2  # a number alone at machine pace: one person with a fast app
SMS_RUN_STEPS = ((2, 0.1), (5, 0.5))  # consecutive texting numbers -> strength
SMS_EXCHANGE = 0.5

# Signal -> the flag reason it is reported under.
REASON = {
    "mailbox": "mailbox",
    "sequential": "sequential",
    "device": "device",
    "device_same_ballot": "device",
    "device_disposable": "device",
    "disposable": "disposable",
    "machine_timing": "machine_timing",
    "sms_machine_pace": "sms_machine",
    "sms_number_run": "sms_machine",
    "sms_exchange": "sms_machine",
}


def stepped(values: npt.NDArray[Any], steps: tuple[tuple[int, float], ...]) -> Any:
    """The strength of the highest step ``values`` reach (0 below the first)."""
    out = np.zeros(len(values), dtype=np.float32)
    for at_least, strength in steps:
        out[values >= at_least] = strength
    return out


def tenths(strength: Any) -> npt.NDArray[np.uint8]:
    """Strengths as ``Evidence`` keeps them: tenths, one byte each."""
    values: npt.NDArray[np.uint8] = np.rint(np.asarray(strength, dtype=np.float32) * 10).astype(
        np.uint8
    )
    return values


@dataclass
class Evidence:
    """Per voter strengths of each signal (in tenths: one byte a voter and signal, a big
    night has 15 M voters and a dozen signals), and what flags."""

    n: int
    tenths: dict[str, npt.NDArray[np.uint8]] = field(default_factory=dict)

    def add(self, name: str, strength: Any) -> None:
        self.add_tenths(name, tenths(strength))

    def add_tenths(self, name: str, values: npt.NDArray[np.uint8]) -> None:
        """``add`` with the strengths already in tenths (``tenths``)."""
        if values.ndim == 0:
            values = np.full(self.n, values, dtype=np.uint8)
        if name in self.tenths:
            np.maximum(self.tenths[name], values, out=self.tenths[name])
        else:
            self.tenths[name] = values

    @property
    def names(self) -> list[str]:
        return list(self.tenths)

    def strength(self, name: str, voters: Any) -> npt.NDArray[np.float64]:
        """The strengths of signal ``name`` for ``voters``."""
        picked: npt.NDArray[np.float64] = self.tenths[name][voters] / 10.0
        return picked

    def score(self) -> npt.NDArray[np.float32]:
        total = np.zeros(self.n, dtype=np.uint16)
        for values in self.tenths.values():
            total += values
        return (total / np.float32(10)).astype(np.float32)

    def flagged(self, score: npt.NDArray[np.float32] | None = None) -> npt.NDArray[np.bool_]:
        # A hair under FLAG_AT: the tenths are exact, their float32 quotient need not be.
        return (self.score() if score is None else score) >= FLAG_AT - 1e-4

    def reasons(self, flagged: npt.NDArray[np.bool_]) -> dict[str, npt.NDArray[np.bool_]]:
        """Per reported reason, the flagged voters that carry a signal of it."""
        out: dict[str, npt.NDArray[np.bool_]] = {}
        for name, values in self.tenths.items():
            reason = REASON[name]
            mask = flagged & (values > 0)
            out[reason] = out[reason] | mask if reason in out else mask
        return out

    def strong(self) -> npt.NDArray[np.bool_]:
        """Voters with at least one signal strong enough to flag alone."""
        out = np.zeros(self.n, dtype=bool)
        for values in self.tenths.values():
            out |= values >= round(STRONG * 10)
        return out

    def of(self, voter: int) -> dict[str, float]:
        """One voter's signals and strengths, strongest first."""
        pairs = [(name, float(values[voter]) / 10) for name, values in self.tenths.items()]
        return {name: round(v, 2) for name, v in sorted(pairs, key=lambda p: -p[1]) if v > 0}
