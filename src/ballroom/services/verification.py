"""``ballroom verify``: the independent check of an exported night (docs/interfaces.md §4).

From the votes file alone (CSV or Parquet) the check recomputes every log entry's hash, in
order, and the tallies, and compares them with what the export publishes: ``chain.json`` (the
manifest: window, genesis, entry count, root), ``receipts.csv`` (seq, ballot id and hash of
every entry, when present) and ``results.json`` (the tallies). The first mismatch raises
``VerificationFailed``.

It streams: the votes file is read a batch of whole ballots at a time
(``adapters.ballot_batches``), each batch's canonical entries (``domain.voting.canonical_bytes``,
byte for byte) are built by pyarrow on whole columns, and only the chain itself runs entry by
entry, in the tightest loop Python has (one ``sha256`` per entry: the chain's construction
makes each hash wait for the one before). Tallies are numpy sums: texts add up, and a web
ballot counts only if it is its voter's last web ballot, found once at the end from the
web ballots' voters (held in Arrow, a few bytes each). Memory stays that of a batch plus a few
bytes per ballot, whatever the night's size.

``receipt``: also look one entry up by its hash and say what it holds and, for a web ballot,
whether a later web ballot of the same voter replaced it (:class:`ReceiptCheck`).
"""

from __future__ import annotations

import binascii
import hashlib
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ballroom.adapters.ballot_batches import BallotBatch, BallotIds, read_ballot_batches
from ballroom.adapters.interchange import format_ts, ts_to_datetime
from ballroom.adapters.jsonfile import read_json_file
from ballroom.domain.voting import GENESIS_HASH
from ballroom.errors import InvalidInput, MalformedDocument, NotFound, VerificationFailed
from ballroom.services.column_json import json_inner
from ballroom.services.columnar_recount import ColumnarRecount
from ballroom.services.importing import reappearing_ballot

CHAIN_ALGORITHM = "sha256(prev_hash_hex || canonical_json(entry)); see ballroom.domain.voting"
"""The chain every export so far carries (``chain.json``'s ``algorithm``)."""
MANIFEST_VERSION = 2
"""``chain.json``'s ``version``: 2 adds ``votes``, ``opens_at`` and ``exported_at``; exports
without one are version 1 (same chain, same checks)."""
_AHEAD = 1  # batches prepared ahead of the chain
_BATCH_ROWS = 1 << 18  # rows a batch: each holds its columns, entries and hashes (~130 MB)
_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class ReceiptCheck:
    """What the log says about one receipt (an entry's hash)."""

    hash: str
    seq: int = 0
    ballot_id: str = ""
    voter: str = ""
    channel: str = ""
    ts_us: int = 0
    allocation: dict[str, int] = field(default_factory=dict)
    replaced_by: dict[str, object] | None = None  # the voter's next web ballot, if any

    @property
    def found(self) -> bool:
        return self.seq > 0

    def as_dict(self) -> dict[str, object]:
        counted = self.channel == "sms" or self.replaced_by is None
        return {
            "hash": self.hash,
            "in_log": True,
            "seq": self.seq,
            "ballot_id": self.ballot_id,
            "channel": self.channel,
            "ts": format_ts(ts_to_datetime(self.ts_us)),
            "allocation": self.allocation,
            "counted": counted,
            "replaced_by": self.replaced_by,
        }


def votes_file(folder: Path) -> Path:
    """The export's votes file: ``votes.csv`` or ``votes.parquet``."""
    for name in ("votes.csv", "votes.parquet"):
        if (folder / name).is_file():
            return folder / name
    raise NotFound(f"{folder}: no votes.csv or votes.parquet", field="votes")


def verify_export(folder: Path, *, receipt: str | None = None) -> dict[str, object]:
    """Recompute an export's chain and tallies; ``VerificationFailed`` at the first mismatch.

    ``receipt``: a hash to look up too (``InvalidInput`` unless 64 hex digits; ``NotFound``
    when the log has no such entry, once the log itself has been verified).
    """
    wanted = None
    if receipt is not None:
        wanted = receipt.strip().lower()
        if not _HASH.match(wanted):
            raise InvalidInput(
                f"a receipt is the 64 hexadecimal digits of an entry's hash, not {receipt!r}",
                field="receipt",
            )
    votes = votes_file(folder)
    manifest = read_json_file(folder / "chain.json")
    published = read_json_file(folder / "results.json")
    if not isinstance(manifest, dict) or not isinstance(published, dict):
        raise MalformedDocument("chain.json and results.json must hold JSON objects")
    version = manifest.get("version", 1)
    if version not in (1, MANIFEST_VERSION):
        raise VerificationFailed(
            f"chain.json is version {version!r}; this ballroom reads versions 1 and"
            f" {MANIFEST_VERSION}"
        )
    algorithm = manifest.get("algorithm", CHAIN_ALGORITHM)
    if algorithm != CHAIN_ALGORITHM:
        raise VerificationFailed(f"chain.json names an unknown chain algorithm {algorithm!r}")
    window = str(manifest.get("window", ""))
    genesis = str(manifest.get("genesis", GENESIS_HASH))
    receipts_path = folder / "receipts.csv"
    receipts = _Receipts(receipts_path) if receipts_path.is_file() else None
    claimed = published.get("couples")
    walk = _Walk(window, genesis.encode(), wanted, claimed if isinstance(claimed, dict) else ())
    ids = BallotIds(votes)
    pool = pa.default_memory_pool()
    for batch, payloads in _prepared(votes, walk, ids):
        walk.add(batch, payloads, receipts)
        del batch, payloads
        pool.release_unused()  # Arrow's allocator would keep each batch's pages
    if not ids.all_distinct():
        raise reappearing_ballot(votes)
    if receipts is not None:
        receipts.check_end(walk.entries)
    if manifest.get("entries") != walk.entries:
        raise VerificationFailed(
            f"chain.json counts {manifest.get('entries')} entries, the votes {walk.entries}"
        )
    root = walk.prev.decode()
    if manifest.get("root") != root:
        raise VerificationFailed(
            f"chain root {root} does not match the published {manifest.get('root')}"
        )
    counted = walk.recount.as_dict()
    _compare(published, counted)
    by_couple: dict[str, dict[str, int]] = counted["couples"]  # type: ignore[assignment]
    report: dict[str, object] = {
        "window": window,
        "entries": walk.entries,
        "root": root,
        "ok": True,
        "totals": {name: count["total"] for name, count in by_couple.items()},
    }
    if "opens_at" in manifest:
        report["opens_at"] = manifest["opens_at"]
    if wanted is not None:
        found = walk.receipt
        if found is None or not found.found:
            raise NotFound(f"receipt {wanted} is not in this log", field="receipt")
        report["receipt"] = found.as_dict()
    return report


def _compare(published: dict[str, Any], counted: dict[str, Any]) -> None:
    """The published results against the recount: every couple's web, SMS and total votes,
    the ballots counted, the last seq, and the per-minute changes."""
    claimed = published.get("couples")
    claimed = claimed if isinstance(claimed, dict) else {}
    ours_by_couple: dict[str, Any] = counted["couples"]
    for couple in sorted(set(claimed) | set(ours_by_couple)):
        ours = ours_by_couple.get(couple, {"web": 0, "sms": 0, "total": 0})
        if claimed.get(couple) != ours:
            raise VerificationFailed(
                f"couple {couple!r}: recount {ours}, published {claimed.get(couple)}"
            )
    for name in ("ballots", "version"):
        if name in published and published[name] != counted[name]:
            raise VerificationFailed(
                f"results.json {name}: published {published[name]}, recount {counted[name]}"
            )
    if "buckets" in published and published["buckets"] != counted["buckets"]:
        ours_list, theirs = counted["buckets"], published["buckets"]
        theirs = theirs if isinstance(theirs, list) else []
        pairs = enumerate(zip(ours_list, theirs, strict=False))
        first = next((i for i, (a, b) in pairs if a != b), min(len(ours_list), len(theirs)))
        at = ours_list[first]["start"] if first < len(ours_list) else "the end"
        raise VerificationFailed(f"results.json buckets differ from the recount at {at}")


class _Walk:
    """The chain and the tallies, a batch at a time."""

    def __init__(
        self, window: str, genesis: bytes, wanted: str | None, couples: Iterable[str]
    ) -> None:
        self.window = window
        self.prev = genesis
        self.entries = 0
        self.recount = ColumnarRecount(window, couples)
        self.wanted = wanted.encode() if wanted is not None else None
        self.receipt: ReceiptCheck | None = None

    def prepare(self, batch: BallotBatch) -> list[bytes]:
        """A batch's canonical entries, once its window is checked and its votes counted
        (what can run beside the chain of the batch before: see ``_prepared``)."""
        windows = batch.per_ballot("window")
        strange = pc.not_equal(windows, self.window).to_numpy(zero_copy_only=False)
        if strange.any():
            at = int(np.argmax(strange))
            ballot = batch.per_ballot("ballot_id")[at].as_py()
            raise VerificationFailed(f"ballot {ballot!r} is in window {windows[at].as_py()!r}")
        first_seq = batch.first_entry + 1
        self.recount.add(
            first_seq,
            sms=pc.equal(batch.per_ballot("channel"), "sms").to_numpy(zero_copy_only=False),
            voters=batch.per_ballot("voter"),
            ts_us=batch.ts_us(),
            starts=batch.starts,
            couples=batch.column("couple"),
            votes=batch.column("votes").to_numpy(zero_copy_only=False),
        )
        return canonical_entries(batch, first_seq)

    def add(self, batch: BallotBatch, payloads: list[bytes], receipts: _Receipts | None) -> None:
        """Chain a prepared batch on, and check it against the receipts."""
        first_seq = self.entries + 1
        digests = self._chain(payloads)
        if receipts is not None:
            receipts.check(batch, first_seq, digests)
        if self.wanted is not None:
            self._look_up(batch, first_seq, digests)
        self.entries += batch.entries

    def _chain(self, payloads: list[bytes]) -> list[bytes]:
        """Each entry's hash (hex, as bytes): ``sha256(previous hash hex || entry)``."""
        sha256, hexlify = hashlib.sha256, binascii.hexlify
        prev = self.prev
        digests: list[bytes] = []
        append = digests.append
        for payload in payloads:
            digest = sha256(prev)
            digest.update(payload)
            prev = hexlify(digest.digest())
            append(prev)
        self.prev = prev
        return digests

    def _look_up(self, batch: BallotBatch, first_seq: int, digests: list[bytes]) -> None:
        receipt = self.receipt
        if receipt is None:
            assert self.wanted is not None
            try:
                at = digests.index(self.wanted)
            except ValueError:
                return
            begin, end = int(batch.starts[at]), int(batch.starts[at + 1])
            rows = batch.table.slice(begin, end - begin)
            self.receipt = receipt = ReceiptCheck(
                hash=self.wanted.decode(),
                seq=first_seq + at,
                ballot_id=rows.column("ballot_id")[0].as_py(),
                voter=rows.column("voter")[0].as_py(),
                channel=rows.column("channel")[0].as_py(),
                ts_us=int(batch.ts_us()[at]),
                allocation=dict(
                    zip(
                        rows.column("couple").to_pylist(),
                        rows.column("votes").to_pylist(),
                        strict=True,
                    )
                ),
            )
        if receipt.channel != "web" or receipt.replaced_by is not None:
            return
        later = pc.and_(
            pc.equal(batch.per_ballot("voter"), receipt.voter),
            pc.equal(batch.per_ballot("channel"), "web"),
        ).to_numpy(zero_copy_only=False)
        later[: max(0, receipt.seq - first_seq + 1)] = False
        if later.any():
            at = int(np.argmax(later))
            receipt.replaced_by = {
                "seq": first_seq + at,
                "ballot_id": batch.per_ballot("ballot_id")[at].as_py(),
                "hash": digests[at].decode(),
            }


def _prepared(
    votes: Path, walk: _Walk, ids: BallotIds
) -> Iterator[tuple[BallotBatch, list[bytes]]]:
    """The votes file's batches (rows in couple order) with their canonical entries, made
    on a second thread: reading and building columns is mostly pyarrow and numpy, which run
    without the GIL, beside the chain's loop on this one. The ballot ids are hashed into
    ``ids`` there too (the thread is done when the last batch has been handed over)."""
    ready: queue.Queue[tuple[BallotBatch, list[bytes]] | BaseException | None] = queue.Queue(
        maxsize=_AHEAD
    )
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in read_ballot_batches(votes, batch_rows=_BATCH_ROWS):
                ordered = batch.sorted_by_couple()
                item = (ordered, walk.prepare(ordered))
                ids.add(ordered)
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(None)
        except BaseException as error:  # handed to the consumer, raised there
            ready.put(error)

    worker = threading.Thread(target=produce, name="ballroom-verify-read", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def canonical_entries(batch: BallotBatch, first_seq: int) -> list[bytes]:
    """Each ballot's ``canonical_bytes`` (rows in couple order), built on whole columns: the
    quotes and commas are the separators of one join per row and one per ballot."""
    n = batch.entries
    seq = pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)).cast(pa.string())
    ts = pa.array(batch.ts_us()).cast(pa.string())
    votes = batch.column("votes").cast(pa.string())
    pairs = pc.binary_join_element_wise(
        '["', json_inner(batch.column("couple")), '",', votes, "]", ""
    )
    # A withdrawal's row of 0 votes is in the file but not in the hashed allocation: its
    # ballot's allocation is the empty list.
    withdrawn = pc.equal(batch.column("votes"), 0)
    if pc.any(withdrawn).as_py():
        pairs = pc.if_else(withdrawn, "", pairs)
    offsets = pa.array(batch.starts, pa.int64())
    allocation = pc.binary_join(pa.LargeListArray.from_arrays(offsets, pairs), ",")
    window, ballot, voter, channel = (
        json_inner(batch.per_ballot(name)) for name in ("window", "ballot_id", "voter", "channel")
    )
    text = pc.binary_join_element_wise(
        "[", seq, ',"', window, '","', ballot, '","', voter, '","', channel, '",', ts, ",[",
        allocation, "]]", "",
    )  # fmt: skip
    payloads: list[bytes] = text.cast(pa.binary()).to_pylist()
    return payloads


class _Receipts:
    """``receipts.csv`` read alongside the votes, a batch at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._reader = pa_csv.open_csv(
                path,
                convert_options=pa_csv.ConvertOptions(
                    column_types={
                        "seq": pa.string(),
                        "ballot_id": pa.string(),
                        "hash": pa.binary(),
                    },
                    include_columns=["seq", "ballot_id", "hash"],
                    strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, OSError) as error:
            raise VerificationFailed(f"receipts.csv cannot be read ({error})") from error
        self._held: list[Any] = []
        self._rows = 0

    def _take(self, count: int) -> Any:
        while self._rows < count:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as error:
                raise VerificationFailed(f"receipts.csv cannot be read ({error})") from error
            self._held.append(pa.Table.from_batches([batch]))
            self._rows += batch.num_rows
        if not self._held:
            return None
        table = pa.concat_tables(self._held)
        taken, rest = table.slice(0, count), table.slice(count)
        self._held = [rest] if rest.num_rows else []
        self._rows = rest.num_rows
        return taken

    def check(self, batch: BallotBatch, first_seq: int, digests: list[bytes]) -> None:
        listed = self._take(batch.entries)
        got = 0 if listed is None else listed.num_rows
        ids = batch.per_ballot("ballot_id")
        seqs = np.arange(first_seq, first_seq + batch.entries, dtype=np.int64)
        if got < batch.entries:
            raise VerificationFailed(
                f"receipts.csv lists {first_seq - 1 + got} entries, the votes more"
            )
        same = (
            np.asarray(
                pc.equal(listed.column("seq"), pa.array(seqs).cast(pa.string())).to_numpy(False)
            )
            & np.asarray(pc.equal(listed.column("ballot_id"), ids).to_numpy(False))
            & np.asarray(
                pc.equal(listed.column("hash"), pa.array(digests, pa.binary())).to_numpy(False)
            )
        )
        if not same.all():
            at = int(np.argmin(same))
            raise VerificationFailed(
                f"entry {first_seq + at} (ballot {ids[at].as_py()!r}): hash"
                f" {digests[at].decode()} does not match receipts.csv"
            )

    def check_end(self, entries: int) -> None:
        extra = self._take(1)
        if extra is not None and extra.num_rows:
            raise VerificationFailed(f"receipts.csv lists more entries than the votes' {entries}")
