"""Detectors of rule abuse and of coordinated campaigns, each with evidence a producer can read.

- **Identity clustering** links accounts that are one person: the same mailbox once e-mail
  addresses are normalised (lower case, ``+tags`` stripped, gmail dots removed), a device used
  by three or more accounts, or a run of sequentially numbered names at one provider.
- **Machine timing** finds ballots from one IP block arriving at a near-constant period (a
  script), in the spirit of inter-arrival regularity tests.
- **Lockstep** (co-action, after CopyCatch and SynchroTrap) buckets saved ballots by
  (allocation, minute) and reports groups far denser than the night's own baseline predicts.
- **Ballot patterns**: the all-but-one allocation (10 to every couple but one) counted per
  target against the other targets' level; an over-represented target is a *campaign*.

Only the first two flag voters. Lockstep groups and campaigns of distinct people are reported,
never flagged: tactical voting is legal. All work is on columns (numpy, pyarrow compute); the
only Python loops run over findings, never over votes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.adapters.dictionary_unify import unify_dictionaries
from ballroom.adapters.interchange import Categorical, VoteTable, first_rows
from ballroom.integrity import evidence as evidence_model
from ballroom.integrity.coaction import CoAction, co_action
from ballroom.integrity.evidence import Evidence, stepped, tenths
from ballroom.integrity.heap import release_freed
from ballroom.integrity.sms import (
    EXCHANGE,
    MachineTexters,
    Texting,
    allowed_sd,
    phone_numbers,
    span_of,
    texting,
    timestamp_resolution_s,
)
from ballroom.integrity.tally import CAP, NO_TIME, Allocations

# Codes, labels and run ids: 4-byte where they fit (15 M voters: 60 MB an array, not 120).
IntArray = npt.NDArray[np.signedinteger[Any]]
BoolArray = npt.NDArray[np.bool_]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BASE11_WIDTH = 17  # 11**17 < 2**63: rows this wide pack into one int64
_ROW_SLICE = 1 << 22  # rows at a time where a pass over every row would hold 8-byte temporaries


@dataclass(frozen=True)
class Thresholds:
    """The knobs of the detectors; the defaults are what ``integrity eval`` measures."""

    device_accounts: int = 3  # a family tablet holds two accounts; three is a pattern
    sequential_run: int = 3  # jsmith01, jsmith02, jsmith03
    bot_regular_gaps: int = 7  # consecutive near-equal gaps (9 ballots) make a machine
    bot_gap_tolerance: float = 0.3  # |g1 - g2| <= tolerance * max(g1, g2) + a clock tick
    bot_run_cv: float = 0.12  # and the run's gaps vary by at most this (+ half a tick)
    bot_min_ticks: float = 2.0  # a period of at least two clock ticks, or else a lattice:
    bot_lattice_gaps: int = 15  # ... of this many regular pairs (17 events) whose times
    bot_lattice_ticks: float = 1.5  # ... stay within this many ticks of one straight line
    bot_max_gap_s: float = 120.0
    lockstep_seconds: int = 60
    lockstep_min: int = 8
    lockstep_z: float = 5.0  # at least; raised for the number of cells a big night tests
    lockstep_alpha: float | None = 0.001  # chance dense cells a night under the baseline
    lockstep_factor: float = 2.0  # and twice the baseline: it is a model, not the truth
    campaign_min_share: float = 0.001  # report campaigns of at least 0.1 % of voters
    campaign_factor: float = 3.0  # and at least 3x the other targets' median level


@dataclass(frozen=True)
class Cluster:
    """A group of accounts and why they belong together."""

    kind: str  # "multi-account" | "bot" | "lockstep"
    voters: list[str]
    evidence: str
    flagged: bool
    signals: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "voters": self.voters,
            "evidence": self.evidence,
            "flagged": self.flagged,
            **self.signals,
        }


@dataclass(frozen=True)
class Campaign:
    """An over-represented all-but-one pattern and its target."""

    target: str
    members: BoolArray  # per voter
    voters: int
    votes: int
    flagged: int
    baseline: float
    first: str
    peak_minute: str
    last: str
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "all-but-one",
            "target": self.target,
            "voters": self.voters,
            "votes": self.votes,
            "flagged_voters": self.flagged,
            "distinct_voters": self.voters - self.flagged,
            "baseline": round(self.baseline, 1),
            "first": self.first,
            "peak_minute": self.peak_minute,
            "last": self.last,
            "evidence": self.evidence,
        }


@dataclass
class Findings:
    """What the detectors found in one night's log."""

    flagged: BoolArray  # per voter: judged to break the rules
    reasons: dict[str, BoolArray]  # per signal kind, per voter
    clusters: list[Cluster]
    campaigns: list[Campaign]
    score: npt.NDArray[np.float32] | None = None  # per voter: combined evidence
    evidence: Evidence | None = None


# --------------------------------------------------------------------------- e-mail


@cache
def disposable_domains() -> frozenset[str]:
    """The bundled list of throw-away mail domains."""
    text = resources.files("ballroom.integrity").joinpath("disposable_domains.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def normalise_emails(emails: Any) -> tuple[Any, Any, Any]:
    """Mailbox identity of each address: (normalised, domain, local part), all in Arrow.

    ``John.Smith+dwts@GoogleMail.com`` and ``johnsmith@gmail.com`` are one mailbox.
    """
    raw = pa.array(emails, type=pa.string())
    lower = pc.utf8_lower(pc.utf8_trim_whitespace(raw))
    # One split gives both the '@' count (list length) and, nearly always, the parts; only
    # when some address lacks exactly one '@' is it split again with those blanked.
    parts = pc.split_pattern(lower, "@")
    valid = pc.equal(pc.list_value_length(parts), 2)
    if not pc.all(valid).as_py():
        parts = pc.split_pattern(pc.if_else(valid, lower, "@"), "@", max_splits=1)
    local, domain = pc.list_element(parts, 0), pc.list_element(parts, 1)
    # Only these can normalise to something else than the address as written (a superset);
    # the exact rules, regular expressions included, run on them alone.
    maybe = pc.or_(
        pc.not_equal(lower, raw),
        pc.and_(
            valid,
            pc.or_(
                pc.or_(pc.match_substring(local, "+"), pc.equal(domain, "googlemail.com")),
                pc.and_(pc.equal(domain, "gmail.com"), pc.match_substring(local, ".")),
            ),
        ),
    )
    if not pc.any(maybe).as_py():
        return raw, domain, local
    normalised, sub_domain, sub_local = _normalise_exactly(pc.filter(raw, maybe))
    return (
        pc.replace_with_mask(raw, maybe, normalised),
        pc.replace_with_mask(domain, maybe, sub_domain),
        pc.replace_with_mask(local, maybe, sub_local),
    )


# Addresses normalised a slice at a time: the kernels' copies cost ~250 bytes an address
# (split parts, lower case, masks), so a slice's temporaries stay ~130 MB.
_EMAIL_SLICE = 1 << 19


def _normalise_exactly(raw: Any) -> tuple[Any, Any, Any]:
    """The normalisation rules, written out as regular expressions (slow: a few addresses)."""
    lower = pc.utf8_lower(pc.utf8_trim_whitespace(raw))
    parts = pc.extract_regex(lower, r"^(?P<local>[^@]*)@(?P<domain>[^@]*)$")
    local = pc.fill_null(pc.struct_field(parts, "local"), "")
    domain = pc.fill_null(pc.struct_field(parts, "domain"), "")
    domain = pc.if_else(pc.equal(domain, "googlemail.com"), "gmail.com", domain)
    local = pc.replace_substring_regex(local, r"\+.*$", "")
    local = pc.if_else(pc.equal(domain, "gmail.com"), pc.replace_substring(local, ".", ""), local)
    normalised = pc.binary_join_element_wise(local, domain, "@")
    normalised = pc.if_else(pc.equal(domain, ""), lower, normalised)  # not an address: as is
    return normalised, domain, local


def _moved(raw: Any, normalised: Any) -> tuple[IntArray, Any]:
    """The positions of the addresses that normalise to something else, and what to."""
    moved = pc.not_equal(normalised, raw)
    return np.flatnonzero(moved.to_numpy(zero_copy_only=False)), pc.filter(normalised, moved)


def _mailbox_codes(raw: Any, moved_idx: IntArray, moved_to: Any) -> IntArray:
    """One code per distinct normalised mailbox, without hashing every address.

    The values of a ``Categorical`` are distinct, so addresses that normalise to themselves
    already have distinct codes (their index); only the others (``_moved``: at
    ``moved_idx``, normalised to ``moved_to``) are hashed, and looked up among the rest to
    join the address they normalise to.
    """
    size = len(raw)
    codes = np.arange(size, dtype=_index_type(2 * size))
    if not len(moved_idx):
        return codes
    moved = np.zeros(size, dtype=bool)
    moved[moved_idx] = True
    target_code, targets = _codes(moved_to)
    codes[moved_idx] = size + target_code
    hit = pc.fill_null(pc.index_in(raw, value_set=targets), -1).to_numpy(zero_copy_only=False)
    joined = (hit >= 0) & ~moved
    codes[joined] = size + hit[joined].astype(codes.dtype)
    return codes


def _normalised_by_code(values: Any, codes: IntArray) -> dict[int, str]:
    """The normalised address of each of the distinct e-mail ``codes`` (into ``values``)."""
    if not len(codes):
        return {}
    normalised = normalise_emails(values.take(pa.array(codes)))[0].to_pylist()
    return dict(zip(codes.tolist(), (str(value) for value in normalised), strict=True))


def normalise_email(email: str) -> str:
    """One address, normalised as ``normalise_emails`` does."""
    return str(normalise_emails([email])[0][0].as_py())


# --------------------------------------------------------------------------- helpers


def _codes(values: Any) -> tuple[IntArray, Any]:
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    # Arrow's dictionary indices are int32: kept as they are.
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary


def _codes_of_parts(parts: list[Any]) -> tuple[IntArray, Any]:
    """``_codes`` of the parts laid end to end: each part coded on its own (a small hash
    table), their dictionaries then unified without one (``unify_dictionaries``). The same
    codes and values: both number values in order of first appearance."""
    local = [pc.dictionary_encode(part) for part in parts]
    values, remap = unify_dictionaries([encoded.dictionary for encoded in local])
    codes = np.empty(sum(len(part) for part in parts), dtype=np.int32)
    begin = offset = 0
    for encoded in local:
        end = begin + len(encoded)
        codes[begin:end] = remap[offset + encoded.indices.to_numpy(zero_copy_only=False)]
        offset += len(encoded.dictionary)
        begin = end
    return codes, values


def _index_type(size: int) -> type[np.signedinteger[Any]]:
    """int32 for codes and labels below ``size`` when it fits, else int64."""
    return np.int32 if size < np.iinfo(np.int32).max else np.int64


def _shared(key: IntArray, minimum: int) -> IntArray:
    """``key`` where at least ``minimum`` voters share it, else -1."""
    valid = key >= 0
    if not valid.any():
        return np.full(len(key), -1, dtype=key.dtype)
    counts = np.bincount(key[valid])
    keep = valid.copy()
    keep[valid] = counts[key[valid]] >= minimum
    return np.where(keep, key, -1)


def _components(n: int, keys: list[IntArray]) -> IntArray:
    """Connected components of voters linked by equal keys (-1 = no link): min-label spreading."""
    labels = np.arange(n, dtype=_index_type(n + 1))
    active = [(np.flatnonzero(key >= 0), key[key >= 0]) for key in keys]
    while True:
        before = labels.copy()
        for voters, key in active:
            if not len(voters):
                continue
            smallest = np.full(int(key.max()) + 1, n, dtype=labels.dtype)
            np.minimum.at(smallest, key, labels[voters])
            labels[voters] = np.minimum(labels[voters], smallest[key])
        while True:  # pointer jumping: a label's label is also ours
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def _linked_groups(members: BoolArray, keys: list[IntArray]) -> list[IntArray]:
    """``_groups(_components(n, keys), members)``, with the components found among the
    voters that have a key only (a few per cent of a big night: no array per voter)."""
    keyed = np.zeros(len(members), dtype=bool)
    for key in keys:
        keyed |= key >= 0
    voters = np.flatnonzero(keyed)  # ascending: smallest positions are smallest voters
    del keyed
    labels = voters[_components(len(voters), [key[voters] for key in keys])]
    idx = np.flatnonzero(members)
    return _split_groups(idx, _label_of(idx, voters, labels))


def _label_of(idx: IntArray, voters: IntArray, labels: IntArray) -> IntArray:
    """The label of each of ``idx``: ``labels`` where it is one of ``voters``, else itself."""
    at = np.minimum(np.searchsorted(voters, idx), max(len(voters) - 1, 0))
    found = (at < len(voters)) & (voters[at] == idx) if len(voters) else np.zeros(len(idx), bool)
    out: IntArray = np.where(found, labels[at] if len(voters) else idx, idx)
    return out


def _time(ts_us: int) -> str:
    return (_EPOCH + timedelta(microseconds=int(ts_us))).strftime("%H:%M:%S")


def _allocation_text(row: npt.NDArray[np.int8], couples: list[str]) -> str:
    parts = [f"{int(v)}→{couples[i]}" for i, v in enumerate(row) if v]
    if len(parts) > 4:
        zero = [couples[i] for i, v in enumerate(row) if not v]
        values = {int(v) for v in row if v}
        if len(zero) == 1 and len(values) == 1:
            return f"{values.pop()} to every couple except {zero[0]}"
    return ", ".join(parts) if parts else "(nothing)"


def _groups(labels: IntArray, members: BoolArray) -> list[IntArray]:
    """Voter indices of each label among ``members``, largest group first."""
    idx = np.flatnonzero(members)
    return _split_groups(idx, labels[idx])


def _split_groups(idx: IntArray, labels: IntArray) -> list[IntArray]:
    """``idx`` (ascending) grouped by their ``labels``, largest group first."""
    if not len(idx):
        return []
    by_label = np.argsort(labels, kind="stable")
    order = idx[by_label]
    cuts = np.flatnonzero(np.diff(labels[by_label])) + 1
    groups = np.split(order, cuts)
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


# --------------------------------------------------------------------------- the detectors


@dataclass(frozen=True)
class IdentityValues:
    """What the detectors derive from the distinct e-mails, devices and addresses alone.

    It needs no allocation, so ``analysis`` computes it in a second thread while the
    allocations are made (Arrow kernels release the GIL).
    """

    mailbox: IntArray  # per distinct address: its mailbox code (the strings are not kept)
    empty_email: BoolArray
    empty_device: BoolArray
    sequence_key: IntArray  # per distinct address: stem@domain code, -1 if no numbered name
    sequence_number: IntArray
    ip_block: tuple[IntArray, Any]  # per distinct address: block code; the blocks
    disposable: BoolArray  # per distinct address


def identity_values(table: VoteTable, pool: Executor | None = None) -> IdentityValues:
    """``IdentityValues`` of a table's distinct identity strings.

    With ``pool`` (two workers or more, this call running in one) the addresses' blocks are
    cut in another worker while this one normalises the e-mails.
    """
    blocks = pool.submit(_ip_blocks, table.ip.values) if pool is not None else None
    raw = pa.array(table.email.values, type=pa.string())
    disposable_set = pa.array(sorted(disposable_domains()))
    # A slice of addresses at a time (the rules work address by address): each slice's
    # domains and local parts are used up before the next (hundreds of MB on a big night).
    moved_parts, empty_parts, disposable_parts, stem_parts = [], [], [], []
    for begin in range(0, max(len(raw), 1), _EMAIL_SLICE):
        addresses = raw.slice(begin, _EMAIL_SLICE)
        normalised, domain, local = normalise_emails(addresses)
        # An address normalises to "" exactly when it is blank (a real one keeps its '@').
        empty = pc.equal(normalised, "").to_numpy(zero_copy_only=False)
        stems = _sequence_stems(local, domain, empty)
        stem_parts.append((stems[0] + begin, *stems[1:]))
        # Only the addresses that normalise to another are kept, normalised (a few in
        # ten): all of them would sit through this step, about 0.5 GB on a 15 M-voter night.
        moved_idx, moved_to = _moved(addresses, normalised)
        moved_parts.append((moved_idx + begin, moved_to))
        empty_parts.append(empty)
        disposable_parts.append(
            pc.is_in(domain, value_set=disposable_set).to_numpy(zero_copy_only=False)
        )
        del normalised, domain, local
    key, number = _sequence_codes(len(raw), stem_parts)
    mailbox = _mailbox_codes(
        table.email.values,
        np.concatenate([idx for idx, _ in moved_parts]),
        pa.concat_arrays([to for _, to in moved_parts]),
    )
    # The strings go: the flagged clusters' mailboxes are normalised again to describe them.
    del moved_parts
    return IdentityValues(
        mailbox=mailbox,
        empty_email=np.concatenate(empty_parts),
        empty_device=pc.equal(table.device.values, "").to_numpy(zero_copy_only=False),
        sequence_key=key,
        sequence_number=number,
        # Once: its regexes run over every distinct address.
        ip_block=blocks.result() if blocks is not None else _ip_blocks(table.ip.values),
        disposable=np.concatenate(disposable_parts),
    )


def detect(
    table: VoteTable,
    alloc: Allocations,
    thresholds: Thresholds | None = None,
    identities: IdentityValues | None = None,
    texting: TextingSignals | None = None,
) -> Findings:
    """Run every detector over one window's log and its cap-applied allocations.

    ``identities``: ``identity_values(table)``, ``texting``: ``texting_signals(table,
    alloc)``, when already computed.
    """
    limits = thresholds or Thresholds()
    values = identities if identities is not None else identity_values(table)
    # The texters first (when not given): their per-row work peaks before the per-voter
    # arrays below exist.
    texted = texting if texting is not None else texting_signals(table, alloc)
    texts, machine_pace = texted.machine_paced, texted.machine_pace
    voters = _voter_evidence(table, alloc, limits, values)
    evidence = voters.evidence
    for name, strength in texted.evidence:
        evidence.add_tenths(name, strength)
    del texted
    score = evidence.score()
    flagged = evidence.flagged(score)
    reasons = evidence.reasons(flagged)
    mailbox, device, sequence, bot = voters.mailbox, voters.device, voters.sequence, voters.bot
    linked = ((mailbox >= 0) | (device >= 0) | (sequence >= 0)) & flagged & (bot < 0)
    email_code = voters.email_code
    context = _Context(
        couples=alloc.couples,
        voters=alloc.voters,
        alloc=alloc,
        email_values=table.email.values,
        email_code=email_code,
        device_values=table.device.values,
        device_code=voters.device_code,
        ip_values=table.ip.values,
        ip_code=voters.ip_code,
        ip_block=values.ip_block,
        disposable=values.disposable,
        evidence=evidence,
        score=score,
        night=_night_levels(voters.device_size, voters.sequence_size, texts),
        mailbox_names=_normalised_by_code(
            table.email.values, np.unique(email_code[linked & (mailbox >= 0)])
        ),
    )
    clusters = [
        _identity_cluster(context, members, mailbox, device, sequence)
        for members in _linked_groups(linked, [mailbox, np.where(linked, device, -1), sequence])
    ]
    clusters += _bot_clusters(context, np.where(flagged, bot, -1), flagged)
    if texts is not None and machine_pace is not None:
        # Texters flagged for their texting (a bot or a farm that also texted is theirs).
        texters = flagged & machine_pace & ~linked & (bot < 0)
        clusters += sms_clusters(context, table, texts, texters)
    campaigns = _campaigns(alloc, flagged, limits)
    clusters += _lockstep(context, flagged, limits, campaigns, voters.lockstep)
    return Findings(
        flagged=flagged,
        reasons=reasons,
        clusters=clusters,
        campaigns=campaigns,
        score=score,
        evidence=evidence,
    )


@dataclass(frozen=True)
class _VoterEvidence:
    """Every signal but the texters', per voter, and the keys the clusters are cut by."""

    evidence: Evidence
    bot: IntArray  # machine-timed run id, -1 if none
    lockstep: tuple[IntArray, CoAction] | None
    email_code: IntArray
    device_code: IntArray
    ip_code: IntArray
    mailbox: IntArray  # shared mailbox id, -1 if none
    device: IntArray  # shared device code, -1 if none
    sequence: IntArray  # numbered-name run id, -1 if none
    device_size: IntArray
    sequence_size: IntArray


def _voter_evidence(
    table: VoteTable, alloc: Allocations, limits: Thresholds, values: IdentityValues
) -> _VoterEvidence:
    """Lockstep cells, machine timing and the identity signals (not the texters')."""
    # The per-ballot work first: its temporaries (tens of millions of ballots) are freed
    # before the per-voter arrays below are made, and those reuse the memory.
    lockstep = _lockstep_cells(alloc, limits)
    bot = _machine_timing(table, alloc, limits, values.ip_block[0])
    # Per-ballot temporaries leave holes the per-voter arrays below do not fit: given back,
    # they stop counting toward the night's peak.
    release_freed()
    n = alloc.n_voters
    email_code = table.voter_codes(table.email, alloc.first_row)
    device_code = table.voter_codes(table.device, alloc.first_row)
    ip_code = table.voter_codes(table.ip, alloc.first_row)

    # Identity: normalised mailbox, busy device, sequential names, throw-away domains.
    mailbox = np.where(values.empty_email[email_code], -1, values.mailbox[email_code])
    mailbox = _shared(mailbox, 2)
    device = _shared(np.where(values.empty_device[device_code], -1, device_code), 2)
    sequence = _voter_runs(values.sequence_key, values.sequence_number, email_code, 3)
    evidence = Evidence(n)
    # A value behind a large share of the whole night identifies nobody: a placeholder
    # address, a coarse fingerprint. It counts as weak, as a NAT's address does.
    coarse = max(evidence_model.PLACEHOLDER_MIN, evidence_model.PLACEHOLDER_SHARE * n)
    mailbox_size = _sizes(mailbox)
    evidence.add(
        "mailbox",
        np.where(
            mailbox >= 0,
            np.where(mailbox_size >= coarse, evidence_model.PLACEHOLDER, evidence_model.MAILBOX),
            0.0,
        ),
    )
    del mailbox_size
    sequence_size = _sizes(sequence)
    evidence.add("sequential", stepped(sequence_size, evidence_model.SEQUENTIAL_STEPS))
    device_size = _sizes(device)
    evidence.add(
        "device",
        np.where(
            device_size >= coarse,
            evidence_model.PLACEHOLDER,
            stepped(device_size, evidence_model.DEVICE_STEPS),
        ),
    )
    disposable = values.disposable[email_code] & ~values.empty_email[email_code]
    evidence.add("disposable", np.where(disposable, evidence_model.DISPOSABLE, 0.0))
    on_device = device >= 0
    if on_device.any():
        throwaway = np.bincount(device[on_device], weights=disposable[on_device])
        crowded = on_device.copy()
        crowded[on_device] = throwaway[device[on_device]] >= evidence_model.DEVICE_DISPOSABLE_MIN
        del throwaway  # a float a device: 14 M devices on a big night
        evidence.add(
            "device_disposable",
            np.where(crowded & disposable, evidence_model.DEVICE_DISPOSABLE, 0.0),
        )
        evidence.add(
            "device_same_ballot",
            np.where(
                _same_ballot_on_device(alloc, device, device_size, 6),
                evidence_model.DEVICE_SAME_BALLOT,
                0.0,
            ),
        )
    evidence.add("machine_timing", _timing_strength(alloc, bot))
    return _VoterEvidence(
        evidence=evidence,
        bot=bot,
        lockstep=lockstep,
        email_code=email_code,
        device_code=device_code,
        ip_code=ip_code,
        mailbox=mailbox,
        device=device,
        sequence=sequence,
        device_size=device_size,
        sequence_size=sequence_size,
    )


@dataclass(frozen=True)
class TextingSignals:
    """What the detectors keep of the texters: all the ``sms`` signals need from the log.

    It needs no identity and only the voters' count of the allocations, so ``analysis``
    computes it in a worker while the identity strings are worked on.
    """

    evidence: list[tuple[str, npt.NDArray[np.uint8]]]  # per signal: strengths in tenths
    machine_paced: MachineTexters | None  # for their clusters (None: phones not read)
    machine_pace: BoolArray | None  # per voter


def texting_signals(table: VoteTable, alloc: Allocations) -> TextingSignals:
    """``TextingSignals`` of a one-window log (empty when its phones were not read)."""
    texting_of_voters = _texting(table, alloc)
    if texting_of_voters is None:
        return TextingSignals(evidence=[], machine_paced=None, machine_pace=None)
    # The evidence now, then only the machine-paced texters are kept.
    return TextingSignals(
        evidence=_sms_evidence(texting_of_voters),
        machine_paced=texting_of_voters.machine_paced(),
        machine_pace=texting_of_voters.machine_pace,
    )


def _texting(table: VoteTable, alloc: Allocations) -> Texting | None:
    """``sms.texting`` of the table's texters (None: the phone column was not read)."""
    phone = table.phone
    if phone is None:
        return None

    def numbers(texters: BoolArray) -> npt.NDArray[np.int64]:
        # Only the texters' numbers: the distinct phones they use, not every phone of the night.
        code = table.voter_codes(phone, alloc.first_row)[texters]
        used = np.zeros(len(phone), dtype=bool)
        used[code] = True
        distinct = np.flatnonzero(used)
        del used
        of_code = np.full(len(phone), -1, dtype=np.int64)
        of_code[distinct] = phone_numbers(phone.values.take(pa.array(distinct)))
        out = np.full(len(texters), -1, dtype=np.int64)
        out[texters] = of_code[code]
        return out

    return texting(table.voter.codes, table.ts_us, table.sms, alloc.n_voters, numbers)


def _sms_evidence(texts: Texting) -> list[tuple[str, npt.NDArray[np.uint8]]]:
    """The texting signals' strengths per voter, in tenths (as ``Evidence`` keeps them)."""
    among = (texts.run >= evidence_model.SMS_RUN_STEPS[-1][0]) | (texts.exchange_machines > 0)
    pace = np.where(among, evidence_model.SMS_MACHINE_PACE, evidence_model.SMS_LONE_MACHINE)
    del among
    return [
        ("sms_machine_pace", tenths(np.where(texts.machine_pace, pace, 0.0))),
        ("sms_number_run", tenths(stepped(texts.run, evidence_model.SMS_RUN_STEPS))),
        (
            "sms_exchange",
            tenths(np.where(texts.exchange_machines > 0, evidence_model.SMS_EXCHANGE, 0.0)),
        ),
    ]


def _timing_strength(alloc: Allocations, bot: IntArray) -> npt.NDArray[np.float32]:
    """Per voter, the strength of the machine-regular run they are in.

    Strong when the clock is fine enough to show the regularity (a period of ten ticks or
    more). At a coarse clock a busy address's arrivals (whole seconds: 2, 2, 3, 2 s) can look
    regular by chance, so the run is strong only when its accounts also cast one ballot.
    """
    out = np.zeros(len(bot), dtype=np.float32)
    if not (bot >= 0).any():
        return out
    voted = alloc.web_ts[alloc.web_ts != NO_TIME]
    resolution = timestamp_resolution_s(voted[:: max(1, len(voted) >> 20)])  # a sample
    for members in _groups(bot, bot >= 0):
        ts = np.sort(alloc.web_ts[members])
        period = float(np.median(np.diff(ts))) / 1e6 if len(ts) > 1 else 0.0
        if period >= 10 * resolution:
            out[members] = evidence_model.MACHINE_TIMING
            continue
        count, _ = _commonest_ballot(alloc.web[members])
        same = count >= 0.8 * len(members)
        out[members] = evidence_model.COARSE_TIMING + (evidence_model.RUN_SAME_BALLOT * same)
    return out


def _sizes(key: IntArray) -> IntArray:
    """How many voters share each voter's key (0 where the key is -1)."""
    valid = key >= 0
    out = np.zeros(len(key), dtype=np.int32)
    if valid.any():
        out[valid] = np.bincount(key[valid])[key[valid]]
    return out


def _same_ballot_on_device(
    alloc: Allocations, device: IntArray, size: IntArray, minimum: int
) -> BoolArray:
    """Voters on a device of ``minimum`` accounts or more whose saved web ballots are all
    the same one (a household splits its votes; a farm copies one ballot)."""
    out = np.zeros(len(device), dtype=bool)
    members = np.flatnonzero(size >= minimum)
    if not len(members):
        return out
    web = alloc.web[members]
    key = web.astype(np.int64) @ (11 ** np.arange(web.shape[1] - 1, -1, -1, dtype=np.int64))
    key[alloc.web_ts[members] == NO_TIME] = -1  # no web ballot: not the same
    codes = device[members]
    top = int(codes.max()) + 1
    low = np.full(top, np.iinfo(np.int64).max)
    high = np.full(top, np.iinfo(np.int64).min)
    np.minimum.at(low, codes, key)
    np.maximum.at(high, codes, key)
    out[members] = (low[codes] == high[codes]) & (low[codes] >= 0)
    return out


def _night_levels(
    device_size: IntArray, sequence_size: IntArray, texts: MachineTexters | None
) -> dict[str, float]:
    """What the night's voters show, for evidence to be compared with."""
    on_device = device_size[device_size > 0]
    levels = {
        "device_accounts_p999": float(np.percentile(on_device, 99.9)) if len(on_device) else 1.0,
        "shared_device_share": float(len(on_device) / max(len(device_size), 1)),
    }
    if texts is not None:
        levels["sms_median_gap_s"] = texts.night_median_gap_s
        levels["sms_run_p999"] = float(texts.night_run_p999)
        levels["resolution_s"] = texts.resolution_s
    return levels


@dataclass(frozen=True)
class _Context:
    couples: list[str]
    voters: Categorical
    alloc: Allocations
    email_values: Any
    email_code: IntArray
    device_values: Any
    device_code: IntArray
    ip_values: Any
    ip_code: IntArray
    ip_block: tuple[IntArray, Any]
    disposable: BoolArray
    evidence: Evidence
    score: npt.NDArray[np.float32]
    night: dict[str, float]
    # Normalised addresses by e-mail code, of the linked voters' mailboxes only: normalised
    # together once (cluster by cluster, the kernels' fixed cost made it seconds a night).
    mailbox_names: dict[int, str] = field(default_factory=dict)

    def flagged_cluster(
        self, kind: str, members: IntArray, facts: list[str], signals: dict[str, Any]
    ) -> Cluster:
        """A cluster of flagged voters, its evidence ending with the signals' strengths."""
        signals["strength"] = round(float(self.score[members].max()), 2)
        return Cluster(
            kind=kind,
            voters=self.names(members),
            evidence="; ".join([*facts, self.strength_text(members)]),
            flagged=True,
            signals=signals,
        )

    def strength_text(self, members: IntArray) -> str:
        """The members' evidence strengths, against the flagging level."""
        scores = self.score[members]
        strongest = (
            (name, float(self.evidence.strength(name, members).max()))
            for name in self.evidence.names
        )
        signals = sorted(((n, v) for n, v in strongest if v > 0), key=lambda pair: -pair[1])
        listed = ", ".join(f"{name} {value:.1f}" for name, value in signals)
        low, high = float(scores.min()), float(scores.max())
        span = f"{high:.1f}" if abs(high - low) < 0.05 else f"{low:.1f}–{high:.1f}"
        return f"evidence {span} (flagged at {evidence_model.FLAG_AT:.1f}): {listed}"

    def emails(self, members: IntArray) -> list[str]:
        return [str(self.email_values[int(c)].as_py()) for c in self.email_code[members]]

    def mailboxes(self, members: IntArray) -> list[str]:
        """The normalised e-mail address of each of ``members`` (the night's normalised
        addresses are not kept: those of the linked voters are made for the clusters)."""
        codes = self.email_code[members]
        missing = np.unique(codes[[int(c) not in self.mailbox_names for c in codes]])
        self.mailbox_names.update(_normalised_by_code(self.email_values, missing))
        return [self.mailbox_names[int(c)] for c in codes]

    def names(self, members: IntArray) -> list[str]:
        """The voter ids of ``members``, sorted (only these are turned into Python strings)."""
        return sorted(self.voters.labels_of(members))


def _sequential_runs(
    local: Any, domain: Any, email_code: IntArray, empty: BoolArray, minimum: int
) -> IntArray:
    """Voters whose addresses are ``stem`` + consecutive numbers at one domain."""
    key_code, num = _sequence_keys(local, domain, empty)
    return _voter_runs(key_code, num, email_code, minimum)


def _sequence_keys(local: Any, domain: Any, empty: BoolArray) -> tuple[IntArray, IntArray]:
    """Per distinct address: a code of ``stem@domain`` (-1: not stem + number) and the number."""
    return _sequence_codes(len(local), [_sequence_stems(local, domain, empty)])


_Stems = tuple[IntArray, Any, BoolArray, IntArray]  # addresses, stem@domain, matched, number


def _sequence_stems(local: Any, domain: Any, empty: BoolArray) -> _Stems:
    """The addresses that may be stem + number, their ``stem@domain`` ("" when not), whether
    they are, and the number (-1: none)."""
    # Only local parts ending in 1 to 6 digits after something else can match the pattern;
    # the regular expression runs on those alone.
    stem_guess = pc.ascii_rtrim(local, characters="0123456789")
    stem_length = pc.binary_length(stem_guess).to_numpy(zero_copy_only=False)
    digits = pc.binary_length(local).to_numpy(zero_copy_only=False) - stem_length
    maybe = np.flatnonzero((digits >= 1) & (digits <= 6) & (stem_length >= 1) & ~empty)
    if not len(maybe):
        return maybe, pa.array([], type=pa.string()), np.zeros(0, dtype=bool), maybe
    picked = pa.array(maybe)
    parts = pc.extract_regex(local.take(picked), r"^(?P<stem>.*[^0-9])(?P<num>[0-9]{1,6})$")
    stem = pc.struct_field(parts, "stem")
    number = pc.cast(pc.struct_field(parts, "num"), pa.int64())
    stem_key = pc.binary_join_element_wise(stem, domain.take(picked), "@")
    matched = ~pc.is_null(stem).to_numpy(zero_copy_only=False)
    return (
        maybe,
        pc.fill_null(stem_key, ""),
        matched,
        pc.fill_null(number, -1).to_numpy(zero_copy_only=False),
    )


def _sequence_codes(size: int, parts: list[_Stems]) -> tuple[IntArray, IntArray]:
    """``_sequence_keys`` of ``size`` addresses from the ``_sequence_stems`` of their slices
    (addresses counted from the first slice's first): the stems coded once, in order."""
    key_code = np.full(size, -1, dtype=_index_type(size))
    num = np.full(size, -1, dtype=np.int32)  # 1 to 6 digits
    present = [part for part in parts if len(part[0])]
    if not present:
        return key_code, num
    maybe = np.concatenate([part[0] for part in present])
    matched = np.concatenate([part[2] for part in present])
    codes, _ = _codes_of_parts([part[1] for part in present])
    key_code[maybe[matched]] = codes[matched]
    num[maybe] = np.concatenate([part[3] for part in present])
    return key_code, num


def _voter_runs(key_code: IntArray, num: IntArray, email_code: IntArray, minimum: int) -> IntArray:
    """Per voter: a run id where ``minimum`` or more voters' addresses count up, else -1."""
    has = key_code >= 0
    voter_key = np.where(has[email_code], key_code[email_code], -1)
    voter_key = _shared(voter_key, minimum)
    voter_num = num[email_code]
    out = np.full(len(email_code), -1, dtype=_index_type(len(email_code) + 1))
    idx = np.flatnonzero(voter_key >= 0)
    if not len(idx):
        return out
    order = idx[np.lexsort((voter_num[idx], voter_key[idx]))]
    key, nums = voter_key[order], voter_num[order]
    close = (key[1:] == key[:-1]) & (nums[1:] - nums[:-1] <= 2)
    run = np.concatenate([[0], np.cumsum(~close)])
    sizes = np.bincount(run)
    keep = sizes[run] >= minimum
    out[order[keep]] = run[keep]
    return out


def _ip_blocks(ips: Any) -> tuple[IntArray, Any]:
    """Each distinct address's /24 block (IPv4) or /64 (IPv6), as codes."""
    ips = pa.array(ips, type=pa.string())
    if len(ips) <= _EMAIL_SLICE:
        return _codes(_blocks_of(ips))
    # A slice of addresses at a time (each is cut on its own): the copies of the strings
    # the kernels make stay small; the blocks are coded once, in order.
    parts = [
        _blocks_of(ips.slice(begin, _EMAIL_SLICE)) for begin in range(0, len(ips), _EMAIL_SLICE)
    ]
    return _codes_of_parts(parts)


def _blocks_of(ips: Any) -> Any:
    """The /24 block (IPv4) or /64 (IPv6) of each address, as strings."""
    # Dotted quads (four runs of digits) are cut with string kernels; the regular expressions
    # run on the other addresses only.
    quad = pc.and_(
        pc.and_(
            pc.equal(pc.count_substring(ips, "."), 3),
            pc.ascii_is_decimal(pc.replace_substring(ips, ".", "")),
        ),
        pc.invert(
            pc.or_(
                pc.or_(pc.starts_with(ips, "."), pc.ends_with(ips, ".")),
                pc.match_substring(ips, ".."),
            )
        ),
    )
    blocks = pc.binary_join_element_wise(pc.ascii_rtrim(ips, characters="0123456789"), "0/24", "")
    other = pc.invert(quad)
    if pc.any(other).as_py():
        rest = pc.filter(ips, other)
        v4 = pc.replace_substring_regex(rest, r"^(\d+\.\d+\.\d+)\.\d+$", r"\1.0/24")
        v6 = pc.replace_substring_regex(
            v4, r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*):.*$", r"\1::/64"
        )
        blocks = pc.replace_with_mask(blocks, other, v6)
    return blocks


def _machine_timing(
    table: VoteTable, alloc: Allocations, limits: Thresholds, block_of_ip: IntArray
) -> IntArray:
    """Runs of web ballots from one IP block arriving at a near-constant period."""
    n_rows = len(table)
    out = np.full(alloc.n_voters, -1, dtype=np.int32)  # run ids: int32 below
    if n_rows - int(np.count_nonzero(table.sms)) < limits.bot_regular_gaps + 2:
        return out
    # Each web ballot's first row, in log order, however the ids are coded.
    if table.ballot_first_web is not None:  # found while reading: no pass over every web row
        first = table.ballot_first_web
        marked = np.zeros(n_rows, dtype=bool)
        marked[first[first < n_rows]] = True
        del first
        # 4-byte row numbers, a slice at a time (flatnonzero gives 8-byte ones).
        starts = np.concatenate(
            [
                np.flatnonzero(marked[begin : begin + _ROW_SLICE]).astype(_index_type(n_rows))
                + begin
                for begin in range(0, n_rows, _ROW_SLICE)
            ]
        )
        del marked
    else:
        web = np.flatnonzero(~table.sms)
        _, starts = first_rows(table.ballot.codes[web], web, len(table.ballot), n_rows)
        del web
    resolution = timestamp_resolution_s(table.ts_us[starts[:: max(1, len(starts) >> 20)]])
    # 4-byte codes and counters where they hold: a big night has tens of millions of ballots.
    # Each ballot's block, a slice at a time (the ballots' addresses in between are not held).
    block = np.empty(len(starts), dtype=np.int32)
    for begin in range(0, len(starts), _ROW_SLICE):
        part = slice(begin, begin + _ROW_SLICE)
        block[part] = block_of_ip[table.ip_of_ballots(starts[part])]
    # A run never spans two blocks, so the blocks are taken a range of codes at a time: the
    # sort and the pairwise steps then hold a part of the ballots (all of them at once were
    # the detectors' memory peak). Run ids count on across the parts.
    parts = max(1, len(block) // _BALLOTS_PER_PART)
    blocks = int(block.max()) + 1 if len(block) else 0
    bounds = [blocks * i // parts for i in range(parts + 1)]
    runs = 0
    for low, high in itertools.pairwise(bounds):
        if parts == 1:
            part_block, part_starts = block, starts
        else:
            here = (block >= low) & (block < high)
            part_block, part_starts = block[here], starts[here]
            del here
        runs = _timing_runs(
            table, part_block, part_starts, limits, out=out, runs=runs, resolution=resolution
        )
    return out


_BALLOTS_PER_PART = 1 << 23


def _timing_runs(
    table: VoteTable,
    block: IntArray,
    starts: IntArray,
    limits: Thresholds,
    *,
    out: IntArray,
    runs: int,
    resolution: float = 1e-6,
) -> int:
    """``_machine_timing`` over the web ballots starting at rows ``starts`` from ``block``:
    each member voter's run id (counted on from ``runs``) into ``out``; the last run id."""
    ts = table.ts_us[starts]
    order = np.lexsort((ts, block))
    # One at a time: each old array goes before the next copy is made.
    block = block[order]
    ts = ts[order]
    starts = starts[order]
    del order
    # Ballots at the same instant from one block are one event (a script saving twice):
    # under 0.05 s apart, i.e. at most 50,000 µs (exactly: the seconds were µs / 1e6).
    # Pairwise steps a slice at a time: over tens of millions of ballots each 8-byte
    # temporary (differences, gaps, their maxima) was hundreds of MB.
    new_event = np.empty(len(ts), dtype=bool)
    new_event[:1] = True
    for begin, end in _pair_slices(len(ts)):
        ahead = slice(begin + 1, end + 1)
        new_event[ahead] = (block[ahead] != block[begin:end]) | (ts[ahead] - ts[begin:end] > 50_000)
    event = np.cumsum(new_event, dtype=np.int32) - 1
    ev_ts, ev_block = ts[new_event], block[new_event]
    del ts, block, new_event
    if len(ev_ts) < 3:  # no pair of gaps
        return runs
    gap = np.empty(len(ev_ts) - 1, dtype=np.float64)
    gap_ok = np.empty(len(gap), dtype=bool)
    for begin, end in _pair_slices(len(ev_ts)):
        ahead = slice(begin + 1, end + 1)
        gap[begin:end] = (ev_ts[ahead] - ev_ts[begin:end]).astype(np.float64) / 1e6
        same = ev_block[ahead] == ev_block[begin:end]
        gap_ok[begin:end] = same & (gap[begin:end] <= limits.bot_max_gap_s)
    regular = np.empty(len(gap) - 1, dtype=bool)
    for begin, end in _pair_slices(len(gap)):
        g1, g2 = gap[begin:end], gap[begin + 1 : end + 1]
        regular[begin:end] = (
            gap_ok[begin:end]
            & gap_ok[begin + 1 : end + 1]
            # The log's clock ticks once per ``resolution``: gaps differ by a tick anyway.
            & (np.abs(g1 - g2) <= limits.bot_gap_tolerance * np.maximum(g1, g2) + resolution)
        )
    del gap_ok
    # A run of r regular pairs (gap j, gap j+1) covers events j .. j+2.
    run_id = np.cumsum(np.concatenate([[True], regular[1:] != regular[:-1]]), dtype=np.int32)
    long_run = np.bincount(run_id, weights=regular) >= limits.bot_regular_gaps
    # The whole run must be machine-regular, and slow enough for the clock to show it: at a
    # period of a tick or two, a busy NAT's or campus's arrivals (whole seconds: 1, 1, 2, 1 s)
    # look as regular as a script. Gaps j .. j+r of a run of r pairs starting at pair j.
    if long_run.any():
        pair_run = np.where(regular, run_id, 0)
        sums = np.bincount(pair_run, weights=gap[:-1], minlength=len(long_run))
        squares = np.bincount(pair_run, weights=gap[:-1] ** 2, minlength=len(long_run))
        pairs = np.bincount(pair_run, minlength=len(long_run)).astype(np.float64)
        mean = sums / np.maximum(pairs, 1)
        sd = np.sqrt(np.maximum(squares / np.maximum(pairs, 1) - mean**2, 0.0))
        long_run &= sd <= allowed_sd(mean, resolution, limits.bot_run_cv)
        fast = long_run & (mean < limits.bot_min_ticks * resolution)
        long_run &= ~fast
        if fast.any():
            long_run |= _lattice_runs(
                ev_ts, run_id, regular, fast, limits=limits, resolution=resolution
            )
    del gap
    pair_idx = np.flatnonzero(regular & long_run[run_id])
    event_run = np.full(len(ev_ts), -1, dtype=np.int32)
    for shift in (0, 1, 2):
        event_run[pair_idx + shift] = run_id[pair_idx] + runs
    ballot_run = event_run[event]
    member = ballot_run >= 0
    voters = table.voter.codes[starts[member]].astype(np.int64)
    out[voters] = ballot_run[member]
    return runs + int(run_id[-1])


def _lattice_runs(
    ev_ts: IntArray,
    run_id: IntArray,
    regular: BoolArray,
    fast: BoolArray,
    *,
    limits: Thresholds,
    resolution: float,
) -> BoolArray:
    """Of the ``fast`` runs (a period under ``bot_min_ticks`` clock ticks), those a clock made.

    A script's times are ``start + k * period`` read off a clock that drops the fraction of a
    tick, so each logged time is within one tick of that line however long the run: the
    rounding never adds up. At a period of 1.6 ticks the gaps read 1, 2, 1, 2, 2, 1 ... ticks,
    the two lengths spread as evenly as the period allows. A busy address's arrivals drift
    from any line like a random walk, so a long run of them strays by several ticks.
    """
    pairs = np.flatnonzero(regular & fast[run_id])
    out = np.zeros(len(fast), dtype=bool)
    if not len(pairs):
        return out
    runs, first, count = np.unique(run_id[pairs], return_index=True, return_counts=True)
    keep = count >= limits.bot_lattice_gaps
    runs, first, count = runs[keep], pairs[first[keep]], count[keep]
    if not len(runs):
        return out
    # The run of r pairs from pair j holds events j .. j + r + 1 (laid end to end per run).
    events = count + 2
    offset = np.arange(int(events.sum())) - np.repeat(np.cumsum(events) - events, events)
    start = np.repeat(first, events)
    seg = np.repeat(np.arange(len(runs)), events)
    k = offset.astype(np.float64)
    t = (ev_ts[start + offset] - ev_ts[start]).astype(np.float64) / 1e6
    n = events.astype(np.float64)
    mean_k = np.bincount(seg, weights=k) / n
    mean_t = np.bincount(seg, weights=t) / n
    cov = np.bincount(seg, weights=k * t) / n - mean_k * mean_t
    var = np.bincount(seg, weights=k * k) / n - mean_k**2
    slope = cov / np.maximum(var, 1e-12)
    residual = t - mean_t[seg] - slope[seg] * (k - mean_k[seg])
    bounds = np.cumsum(events) - events
    spread = np.maximum.reduceat(residual, bounds) - np.minimum.reduceat(residual, bounds)
    # Gaps all of one tick are a saturated address, not a period: a lattice needs both lengths.
    long_gaps = np.bincount(seg, weights=np.diff(t, prepend=0.0) >= 1.5 * resolution)
    made = (spread <= limits.bot_lattice_ticks * resolution) & (long_gaps >= 2)
    out[runs[made]] = True
    return out


def _pair_slices(n: int) -> Iterator[tuple[int, int]]:
    """Slices [begin, end) of the n - 1 pairs (i, i + 1) of n items, ``_ROW_SLICE`` at a time."""
    for begin in range(0, max(n - 1, 0), _ROW_SLICE):
        yield begin, min(n - 1, begin + _ROW_SLICE)


def _identity_cluster(
    ctx: _Context, members: IntArray, mailbox: IntArray, device: IntArray, sequence: IntArray
) -> Cluster:
    emails = ctx.emails(members)
    facts: list[str] = []
    signals: dict[str, Any] = {"accounts": len(members)}
    boxes = {int(m) for m in mailbox[members] if m >= 0}
    if boxes:
        names = sorted(ctx.mailboxes(members[mailbox[members] >= 0]))
        shapes = []
        if any("+" in e.split("@")[0] for e in emails):
            shapes.append("+aliases")
        if any("." in e.split("@")[0] and e.endswith("@gmail.com") for e in emails):
            shapes.append("gmail dot variants")
        facts.append(
            f"{sum(mailbox[members] >= 0)} accounts are {len(boxes)} mailbox"
            f"{'es' if len(boxes) > 1 else ''} ({', '.join(sorted(set(names))[:3])})"
            + (f" via {' and '.join(shapes)}" if shapes else "")
        )
        signals["mailboxes"] = sorted(set(names))
    devices = sorted(
        {str(ctx.device_values[int(ctx.device_code[m])].as_py()) for m in members if device[m] >= 0}
    )
    if devices:
        facts.append(
            f"{int((device[members] >= 0).sum())} accounts on device"
            f"{'s' if len(devices) > 1 else ''} {', '.join(devices[:3])} (99.9 % of the "
            f"night's shared devices hold ≤ {ctx.night['device_accounts_p999']:.0f} accounts)"
        )
        signals["devices"] = devices
    if (sequence[members] >= 0).any():
        seq = sorted(e for e, m in zip(emails, members, strict=True) if sequence[m] >= 0)
        facts.append(f"sequential names {seq[0]} … {seq[-1]}")
    disposable = int(ctx.disposable[ctx.email_code[members]].sum())
    if disposable:
        facts.append(f"{disposable} disposable-domain address{'es' if disposable > 1 else ''}")
        signals["disposable"] = disposable
    common, block = _commonest_block(ctx, members)
    if common >= 2:
        facts.append(f"{common} from {block}")
    facts.extend(_timing_and_ballot(ctx, members, signals))
    return ctx.flagged_cluster("multi-account", members, facts, signals)


def _commonest_block(ctx: _Context, members: IntArray) -> tuple[int, str]:
    """How many members share the commonest IP block, and which (the lowest code on a tie).

    Counted over the members' own blocks: a count per block of the night would cost as much
    as the night's blocks for every cluster.
    """
    blocks, counts = np.unique(ctx.ip_block[0][ctx.ip_code[members]], return_counts=True)
    top = int(counts.argmax())
    return int(counts[top]), str(ctx.ip_block[1][int(blocks[top])].as_py())


def _timing_and_ballot(ctx: _Context, members: IntArray, signals: dict[str, Any]) -> list[str]:
    facts = []
    ts = ctx.alloc.web_ts[members]
    ts = ts[ts != NO_TIME]
    if len(ts):
        span = (int(ts.max()) - int(ts.min())) / 60e6
        facts.append(
            f"ballots saved {_time(int(ts.min()))}–{_time(int(ts.max()))} UTC ({span:.1f} min)"
        )
        signals["first"], signals["last"] = _time(int(ts.min())), _time(int(ts.max()))
    count, ballot = _commonest_ballot(ctx.alloc.web[members])
    if count >= 2 and ballot.any():
        facts.append(f"{count} identical ballots: {_allocation_text(ballot, ctx.couples)}")
    return facts


def _commonest_ballot(web: npt.NDArray[np.int8]) -> tuple[int, npt.NDArray[np.int8]]:
    """The most frequent row of ``web`` and its count; on a tie the lowest row (as compared
    element by element), exactly as ``np.unique(web, axis=0)`` orders them.

    Rows of 0-10 votes are read as base-11 numbers, which order as the rows do: one
    ``unique`` of integers instead of one of rows (that was most of this, cluster by cluster).
    """
    width = web.shape[1]
    if width > _BASE11_WIDTH or not len(web) or int(web.min()) < 0 or int(web.max()) > CAP:
        rows, counts = np.unique(web, axis=0, return_counts=True)
        top = int(counts.argmax())
        return int(counts[top]), rows[top]
    key = web.astype(np.int64) @ (11 ** np.arange(width - 1, -1, -1, dtype=np.int64))
    values, counts = np.unique(key, return_counts=True)
    top = int(counts.argmax())
    return int(counts[top]), web[int(np.argmax(key == values[top]))]


def _bot_clusters(ctx: _Context, bot: IntArray, flagged: BoolArray) -> list[Cluster]:
    clusters = []
    for members in _groups(bot, bot >= 0):
        ts = np.sort(ctx.alloc.web_ts[members][ctx.alloc.web_ts[members] != NO_TIME])
        gaps = np.diff(ts) / 1e6 if len(ts) > 1 else np.zeros(1)
        block = _commonest_block(ctx, members)[1]
        signals: dict[str, Any] = {
            "accounts": len(members),
            "period_s": round(float(np.median(gaps)), 3),
            "period_sd_s": round(float(np.std(gaps)), 3),
            "ip_block": block,
        }
        facts = [
            f"{len(members)} accounts cast from {block} every {np.median(gaps):.2f} s "
            f"(± {np.std(gaps):.2f} s): machine-regular timing"
        ]
        facts.extend(_timing_and_ballot(ctx, members, signals))
        clusters.append(ctx.flagged_cluster("bot", members, facts, signals))
    return clusters


def sms_clusters(
    ctx: _Context, table: VoteTable, texts: MachineTexters, members: BoolArray
) -> list[Cluster]:
    """Flagged texters (machine-paced ones) grouped by their run of consecutive numbers,
    else their exchange."""
    # A run by its first number, else the exchange (numbers have at most 15 digits: < 2**50).
    idx = np.flatnonzero(members)
    at = texts.at(idx)
    in_run = texts.run[at] >= 2
    key = (1 << 50) + np.maximum(texts.number[at], 0) // EXCHANGE
    key[in_run] = texts.run_start(texts.number[at[in_run]])
    del at
    clusters = []
    for group in _split_groups(idx, key):
        at = texts.at(group)
        numbers = np.sort(texts.number[at])
        n_texts = int(texts.texts[at].sum())
        median = float(np.nanmedian(texts.mean_gap_s[at]))
        cv = float(np.nanmedian(texts.gap_cv[at]))
        consecutive = int(texts.run[at].max())
        shape = (
            f"a run of {consecutive} consecutive numbers +{numbers[0]} … +{numbers[-1]}"
            if consecutive >= 2
            else f"{len(group)} numbers of exchange +{numbers[0] // EXCHANGE}xxxx"
        )
        night_gap = ctx.night.get("sms_median_gap_s", 0.0)
        facts = [
            f"{len(group)} numbers ({shape}) sent {n_texts} texts at machine pace: a mean "
            f"{median:.2f} s between a number's own texts (the night's texters: "
            f"{night_gap:.1f} s), gaps varying by {cv:.0%}",
            f"the night's longest runs of consecutive texting numbers: 99.9 % are ≤ "
            f"{ctx.night.get('sms_run_p999', 0):.0f}",
        ]
        mask = np.zeros(len(members), dtype=bool)
        mask[group] = True
        first_us, last_us, _ = span_of(table.voter.codes, table.ts_us, table.sms, mask)
        del mask
        span_s = (last_us - first_us) / 1e6
        resolution = ctx.night.get("resolution_s", 1e-6)
        facts.append(
            f"{n_texts / max(span_s, resolution):.1f} texts per second from the block over "
            f"{span_s:.0f} s, {_time(first_us)}–{_time(last_us)} UTC"
        )
        signals = {
            "accounts": len(group),
            "numbers": [f"+{int(numbers[0])}", f"+{int(numbers[-1])}"],
            "consecutive": consecutive,
            "mean_gap_s": round(median, 3),
            "gap_cv": round(cv, 3),
            "texts": n_texts,
        }
        clusters.append(ctx.flagged_cluster("sms-bank", group, facts, signals))
    return clusters


def _campaigns(alloc: Allocations, flagged: BoolArray, limits: Thresholds) -> list[Campaign]:
    """Targets of the all-but-one ballot, counted against the other targets' level."""
    web = alloc.web
    couples = len(alloc.couples)
    if couples < 3 or not len(web):
        return []
    # A slice of voters at a time: the voters x couples temporaries stay small.
    pattern = np.empty(len(web), dtype=bool)
    target = np.empty(len(web), dtype=np.int8 if couples <= np.iinfo(np.int8).max else np.int64)
    for begin in range(0, len(web), _ROW_SLICE // couples + 1):
        part = slice(begin, begin + _ROW_SLICE // couples + 1)
        zeros = web[part] == 0
        pattern[part] = (zeros.sum(axis=1) == 1) & ((web[part] == 10) | zeros).all(axis=1)
        target[part] = np.argmax(zeros, axis=1)
    counts = np.bincount(target[pattern], minlength=couples)
    baseline = float(np.median(counts))
    found = []
    minimum = max(limits.campaign_min_share * alloc.n_voters, 10.0)
    for c in np.flatnonzero(counts):
        count = int(counts[c])
        if count < minimum or count < limits.campaign_factor * baseline + 5 * np.sqrt(baseline):
            continue
        members = pattern & (target == c)
        ts = alloc.web_ts[members]
        minutes = ts // 60_000_000
        values, freq = np.unique(minutes, return_counts=True)
        peak = int(values[freq.argmax()]) * 60_000_000
        votes = int(alloc.web[members].sum(dtype=np.int64) + alloc.sms[members].sum(dtype=np.int64))
        n_flagged = int((members & flagged).sum())
        name = alloc.couples[int(c)]
        found.append(
            Campaign(
                target=name,
                members=members,
                voters=count,
                votes=votes,
                flagged=n_flagged,
                baseline=baseline,
                first=_time(int(ts.min())),
                peak_minute=_time(peak)[:5],
                last=_time(int(ts.max())),
                evidence=(
                    f"{count} voters ({count / alloc.n_voters:.1%}) gave 10 to every couple except "
                    f"{name}; other targets' level {baseline:.0f}; peak {_time(peak)[:5]} UTC "
                    f"({int(freq.max())} ballots that minute); {n_flagged} of them also flagged"
                ),
            )
        )
    return sorted(found, key=lambda campaign: -campaign.voters)


def _lockstep_cells(alloc: Allocations, limits: Thresholds) -> tuple[IntArray, CoAction] | None:
    """The voters who saved a web ballot and the dense co-action cells among their ballots
    (None: too few ballots)."""
    voted = alloc.web_ts != NO_TIME
    if voted.sum() < limits.lockstep_min:
        return None
    idx = np.flatnonzero(voted)
    # The numeric kernel (numpy, or PyTorch when selected): dense (allocation, minute) cells.
    cells = co_action(
        alloc.web[idx],
        alloc.web_ts[idx],
        window_us=limits.lockstep_seconds * 1_000_000,
        minimum=limits.lockstep_min,
        z=limits.lockstep_z,
        alpha=limits.lockstep_alpha,
        factor=limits.lockstep_factor,
    )
    return idx, cells


def _lockstep(
    ctx: _Context,
    flagged: BoolArray,
    limits: Thresholds,
    campaigns: list[Campaign],
    found: tuple[IntArray, CoAction] | None,
) -> list[Cluster]:
    """Identical saved ballots bunched in time far beyond the night's baseline (``found``:
    ``_lockstep_cells``)."""
    alloc = ctx.alloc
    if found is None:
        return []
    idx, cells = found
    if not len(cells.signature):
        return []
    # Merge a signature's dense minutes into one group.
    groups = _groups(cells.labels, cells.labels >= 0)
    clusters = []
    for group in groups:
        voters = idx[group]
        exp = cells.expected_of(int(cells.labels[group[0]]))
        n_flag = int(flagged[voters].sum())
        ballot = _allocation_text(alloc.web[voters[0]], ctx.couples)
        campaign = next((c.target for c in campaigns if c.members[voters].all()), None)
        signals: dict[str, Any] = {
            "accounts": len(voters),
            "expected": round(exp, 1),
            "flagged_accounts": n_flag,
        }
        if campaign:
            signals["campaign_target"] = campaign
        facts = [
            f"{len(voters)} accounts saved the identical ballot ({ballot}) in the same "
            f"{limits.lockstep_seconds}-s windows; the night's baseline expects {exp:.1f}"
        ]
        facts.extend(_timing_and_ballot(ctx, voters, signals)[:1])
        facts.append(
            f"{n_flag} of them flagged for identity or timing"
            if n_flag
            else "distinct identities: coordinated, reported, not flagged"
        )
        clusters.append(
            Cluster(
                kind="lockstep",
                voters=ctx.names(voters),
                evidence="; ".join(facts),
                flagged=False,
                signals=signals,
            )
        )
    return clusters
