"""A synthetic electorate for rehearsals, load tests and the integrity evaluation.

Organic voters have fan bases (a popularity per couple), realistic ballot shapes (most give 10
to one or two favourites, some spread), vote on the web or by SMS, sometimes revise a web
ballot, live in households that share an IP (and now and then a tablet) and sit behind mobile
carriers' shared addresses. On top of them the scenario injects abuse with ground truth:

- duplicate-account **farms** (one person, many accounts: ``+`` aliases, gmail dot variants,
  disposable domains, sequential names; a shared device or home IP; voting in a burst);
- **bots** (a block of datacenter addresses casting at machine-regular intervals);
- **all-but-one campaigns** by real, distinct voters (10 to every couple except the target:
  tactical and legal, never to be flagged);
- **camouflage**: abusive accounts that also cast organic-looking ballots and blur their timing.

Everything is drawn from one ``numpy.random.Generator`` so a seed reproduces a night exactly.
The work is vectorised (numpy and pyarrow compute); only per-farm strings are built in Python.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.domain.eligibility import sms_eligible
from ballroom.errors import WrongType

IntArray = npt.NDArray[np.int64]

# Disney Night (s34w04): the eleven couples still dancing, with a plausible fan-base shape.
DISNEY_NIGHT = (
    "robert", "alix", "whitney", "jordan", "dylan", "elaine",
    "danielle", "jen", "scott", "andy", "hilaria",
)  # fmt: skip
DISNEY_POPULARITY = (0.20, 0.15, 0.12, 0.10, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.04)
SHOW_START = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)  # 8 pm Eastern, 7 October 2025

_FIRST = (
    "james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david",
    "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas",
    "sarah", "chris", "karen", "daniel", "lisa", "matthew", "nancy", "anthony", "betty",
    "mark", "sandra", "donald", "ashley", "steven", "kim", "paul", "emily", "andrew", "donna",
    "josh", "michelle", "kevin", "carol", "brian", "amanda", "george", "melissa", "tim",
    "deborah", "ronald", "stephanie", "jason", "rebecca", "ryan", "laura",
)  # fmt: skip
_LAST = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
    "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor",
    "moore", "jackson", "martin", "lee", "perez", "thompson", "white", "harris", "sanchez",
    "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king", "wright",
    "scott", "torres", "nguyen", "hill", "flores", "green", "adams", "nelson", "baker", "hall",
    "rivera", "campbell", "mitchell", "carter", "roberts",
)  # fmt: skip
_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
            "comcast.net", "att.net", "verizon.net", "protonmail.com")  # fmt: skip
_DOMAIN_WEIGHTS = (0.42, 0.16, 0.09, 0.09, 0.10, 0.04, 0.04, 0.03, 0.02, 0.01)
_DISPOSABLE = ("mailinator.com", "yopmail.com", "guerrillamail.com", "sharklasers.com",
               "10minutemail.com", "trashmail.com", "maildrop.cc", "getnada.com")  # fmt: skip
FARM_STYLES = ("alias", "dots", "disposable", "sequential")


@dataclass(frozen=True)
class Campaign:
    """An all-but-one campaign: ``share`` of the organic voters give 10 to all but ``target``."""

    target: str
    share: float = 0.03
    start_s: float | None = None  # seconds into the window when the call goes out


@dataclass(frozen=True)
class Scenario:
    """What to generate; every field has a rehearsal-sized default."""

    voters: int = 20_000
    couples: tuple[str, ...] = DISNEY_NIGHT
    popularity: tuple[float, ...] | None = DISNEY_POPULARITY
    window: str = "s34w04"
    start: datetime = SHOW_START
    duration_s: int = 7200
    sms_share: float = 0.25  # voters who text (some of them also vote online)
    revision_rate: float = 0.15  # web voters who save a ballot and later change it
    farms: int = 6
    farm_size: tuple[int, int] = (5, 25)
    bots: int = 2
    bot_size: tuple[int, int] = (30, 80)
    campaigns: tuple[Campaign, ...] = (Campaign("hilaria", 0.03),)
    camouflage: float = 0.0  # share of abusive accounts that also vote organically
    time_spread: float = 1.0  # stretches abusive timing (1 = tight bursts)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.voters < 1:
            raise WrongType("voters must be at least 1", field="voters")
        if len(self.couples) < 3:
            raise WrongType("a night needs at least 3 couples", field="couples")
        if self.popularity is not None and len(self.popularity) != len(self.couples):
            raise WrongType("popularity needs one weight per couple", field="popularity")
        for campaign in self.campaigns:
            if campaign.target not in self.couples:
                raise WrongType(f"campaign target {campaign.target!r} is not dancing",
                                field="campaigns")  # fmt: skip
            if not 0.0 < campaign.share <= 1.0:
                raise WrongType(f"campaign {campaign.target!r}: share must be between 0 and 1",
                                field="campaigns")  # fmt: skip
        for name in ("sms_share", "revision_rate", "camouflage"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise WrongType(f"{name} must be between 0 and 1", field=name)
        for name in ("farms", "bots"):
            if getattr(self, name) < 0:
                raise WrongType(f"{name} must be 0 or more", field=name)
        if self.duration_s < 600:
            raise WrongType("the window must last 10 minutes or more", field="duration_s")
        if self.time_spread <= 0:
            raise WrongType("time_spread must be more than 0", field="time_spread")


@dataclass
class GroundTruth:
    """Who did what, as the generator knows it and the detectors must find out."""

    scenario: dict[str, Any]
    abusive: dict[str, str] = field(default_factory=dict)  # voter -> "farm" | "bot"
    farms: list[dict[str, Any]] = field(default_factory=list)
    bots: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)  # target, voters (tactical)
    camouflaged: list[str] = field(default_factory=list)

    @property
    def tactical(self) -> set[str]:
        return {voter for campaign in self.campaigns for voter in campaign["voters"]}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=1, default=str) + "\n")


@dataclass
class Electorate:
    """A generated night: the vote log as a pyarrow table (interchange columns) and the truth."""

    table: Any
    truth: GroundTruth

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


# --------------------------------------------------------------------------- building blocks


@dataclass
class _Accounts:
    """Identity columns of every account, filled kind by kind."""

    voter: list[Any] = field(default_factory=list)
    email: list[Any] = field(default_factory=list)
    phone: list[Any] = field(default_factory=list)
    ip: list[Any] = field(default_factory=list)
    device: list[Any] = field(default_factory=list)
    count: int = 0

    def add(self, voter: Any, email: Any, phone: Any, ip: Any, device: Any) -> IntArray:
        size = len(voter)
        for name, values in (("voter", voter), ("email", email), ("phone", phone), ("ip", ip),
                             ("device", device)):  # fmt: skip
            array = (
                pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values
            )
            if len(array) != size:
                raise ValueError(f"{name}: {len(array)} values for {size} accounts")
            getattr(self, name).append(array)
        start = self.count
        self.count += size
        return np.arange(start, self.count, dtype=np.int64)

    def column(self, name: str) -> Any:
        return pa.concat_arrays([chunk.cast(pa.string()) for chunk in getattr(self, name)])


@dataclass
class _Ballots:
    """Ballots before they become rows: account, time, channel and allocation."""

    couples: int
    account: list[IntArray] = field(default_factory=list)
    ts_s: list[npt.NDArray[np.float64]] = field(default_factory=list)
    sms: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    alloc: list[npt.NDArray[np.int8]] = field(default_factory=list)

    def add(self, account: IntArray, ts_s: Any, alloc: npt.NDArray[np.int8], sms: bool) -> None:
        keep = alloc.sum(axis=1) > 0
        self.account.append(account[keep])
        self.ts_s.append(np.broadcast_to(np.asarray(ts_s, dtype=np.float64), account.shape)[keep])
        self.sms.append(np.full(int(keep.sum()), sms))
        self.alloc.append(alloc[keep])


def _strings(prefix: str, numbers: npt.NDArray[Any], suffix: str = "") -> Any:
    """``prefix + str(n) + suffix`` for a whole array, in Arrow."""
    text = pa.array(numbers).cast(pa.string())
    return pc.binary_join_element_wise(prefix, text, suffix, "")


def _distinct(rng: np.random.Generator, count: int, low: int, high: int) -> IntArray:
    """``count`` distinct random integers in [low, high), in random order."""
    if count > high - low:
        raise ValueError("range too small")
    values = np.unique(rng.integers(low, high, size=int(count * 1.05) + 16))
    while len(values) < count:
        values = np.unique(np.concatenate([values, rng.integers(low, high, size=count)]))
    return rng.permutation(values)[:count].astype(np.int64)


@functools.cache
def _us_area_codes() -> IntArray:
    """Area code -> itself if it texts from the US/PR, else the next such code (cyclically)."""
    eligible = np.array([sms_eligible(f"+1{area:03d}0000000") for area in range(1000)])
    usable = np.flatnonzero(eligible)
    nxt = np.searchsorted(usable, np.arange(1000)) % len(usable)
    return np.where(eligible, np.arange(1000), usable[nxt]).astype(np.int64)


def _us_numbers(numbers: IntArray) -> IntArray:
    """+1 numbers moved to US/PR area codes: the show's texters are where text votes count,
    as the gateway and import refuse Canadian and Caribbean senders."""
    area, line = np.divmod(numbers, 10_000_000)
    return _us_area_codes()[area] * 10_000_000 + line


def _ip_text(addresses: IntArray) -> Any:
    octets = [pa.array((addresses >> shift) & 255).cast(pa.string()) for shift in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def _organic_alloc(
    rng: np.random.Generator, n: int, popularity: npt.NDArray[np.float64]
) -> npt.NDArray[np.int8]:
    """Ballot shapes: one favourite, two favourites, a spread, everyone, or (rarely) all but one."""
    couples = len(popularity)
    alloc = np.zeros((n, couples), dtype=np.int8)
    rows = np.arange(n)
    fav = rng.choice(couples, size=n, p=popularity)
    shape = rng.random(n)
    alloc[rows, fav] = 10
    two = (shape >= 0.55) & (shape < 0.75)
    second = rng.choice(couples, size=n, p=popularity)
    second = np.where(second == fav, (fav + 1 + rng.integers(0, couples - 1, n)) % couples, second)
    alloc[rows[two], second[two]] = np.where(rng.random(int(two.sum())) < 0.6, 10,
                                             rng.integers(1, 11, int(two.sum())))  # fmt: skip
    spread = (shape >= 0.75) & (shape < 0.97)
    k = int(spread.sum())
    if k:
        # 2 to 6 couples, chosen by popularity, with any number of votes each.
        picks = rng.random((k, couples)) * popularity < rng.random((k, 1)) * popularity.max() * 0.6
        picks[np.arange(k), fav[spread]] = True
        alloc[spread] = np.where(picks, rng.integers(1, 11, (k, couples)), 0).astype(np.int8)
        alloc[rows[spread], fav[spread]] = rng.integers(5, 11, k)
    everyone = (shape >= 0.97) & (shape < 0.998)
    alloc[everyone] = np.where(rng.random((int(everyone.sum()), 1)) < 0.7, 10,
                               rng.integers(1, 11, (int(everyone.sum()), couples)))  # fmt: skip
    abo = shape >= 0.998
    alloc[abo] = 10
    alloc[rows[abo], rng.integers(0, couples, int(abo.sum()))] = 0
    return alloc


def _show_times(rng: np.random.Generator, n: int, duration: float, couples: int) -> Any:
    """Votes arrive all through the show, with a surge after each performance."""
    dances = np.linspace(duration * 0.05, duration * 0.85, couples)
    surge = rng.random(n) < 0.6
    times = rng.uniform(0, duration, n)
    after = dances[rng.integers(0, couples, n)] + rng.exponential(duration * 0.025, n)
    return np.clip(np.where(surge, after, times), 0, duration - 1)


# --------------------------------------------------------------------------- the generator


def generate(scenario: Scenario) -> Electorate:
    """Generate a night's vote log and its ground truth, reproducibly from ``scenario.seed``."""
    rng = np.random.default_rng(scenario.seed)
    couples = len(scenario.couples)
    duration = float(scenario.duration_s)
    popularity = np.asarray(
        scenario.popularity
        if scenario.popularity is not None
        else rng.dirichlet(np.full(couples, 2.0)),
        dtype=np.float64,
    )
    popularity = popularity / popularity.sum()
    truth = GroundTruth(scenario=_scenario_dict(scenario))
    accounts = _Accounts()
    ballots = _Ballots(couples)
    n_campaign = [max(1, round(c.share * scenario.voters)) for c in scenario.campaigns]
    n_organic = scenario.voters
    total_guess = (
        n_organic
        + sum(n_campaign)
        + scenario.farms * scenario.farm_size[1]
        + (scenario.bots * scenario.bot_size[1])
    )
    voter_numbers = _distinct(rng, total_guess + 16, 10**9, 10**10)
    voter_cursor = 0

    def voter_ids(count: int) -> Any:
        nonlocal voter_cursor
        ids = voter_numbers[voter_cursor : voter_cursor + count]
        voter_cursor += count
        return _strings("v", ids)

    # Organic and campaign voters share the same identity model: they are all real people.
    n_people = n_organic + sum(n_campaign)
    people = _people(rng, n_people, scenario.sms_share, voter_ids)
    people_idx = accounts.add(*people.columns)
    organic_idx = people_idx[:n_organic]
    alloc = _organic_alloc(rng, n_organic, popularity)
    times = _show_times(rng, n_organic, duration, couples)
    web = people.web[:n_organic]
    sms = people.sms[:n_organic]
    ballots.add(organic_idx[web], times[web], alloc[web], sms=False)
    _revisions(rng, ballots, organic_idx[web], times[web], rate=scenario.revision_rate,
               popularity=popularity)  # fmt: skip
    sms_alloc = np.where(alloc[sms] > 0, rng.integers(1, 11, (int(sms.sum()), couples)), 0)
    ballots.add(organic_idx[sms], times[sms] + rng.uniform(0, 60, int(sms.sum())),
                sms_alloc.astype(np.int8), sms=True)  # fmt: skip

    cursor = n_organic
    for campaign, size in zip(scenario.campaigns, n_campaign, strict=True):
        idx = people_idx[cursor : cursor + size]
        cursor += size
        target = scenario.couples.index(campaign.target)
        start = (
            campaign.start_s if campaign.start_s is not None else rng.uniform(0.1, 0.6) * duration
        )
        wave = np.clip(start + rng.exponential(600.0 * scenario.time_spread, size), 0, duration - 1)
        abo = np.full((size, couples), 10, dtype=np.int8)
        abo[:, target] = 0
        ballots.add(idx, wave, abo, sms=False)
        _revisions(rng, ballots, idx, wave, rate=0.3, popularity=popularity)
        truth.campaigns.append({
            "target": campaign.target,
            "voters": pa.array(people.columns[0]).slice(cursor - size, size).to_pylist(),
        })  # fmt: skip

    for number in range(scenario.farms):
        style = FARM_STYLES[number % len(FARM_STYLES)]
        _farm(rng, scenario, style, accounts, ballots, truth=truth, popularity=popularity,
              voter_ids=voter_ids)  # fmt: skip
    for _ in range(scenario.bots):
        _bot(rng, scenario, accounts, ballots, truth, popularity=popularity, voter_ids=voter_ids)

    table = _rows(rng, scenario, accounts, ballots)
    return Electorate(table=table, truth=truth)


def generate_shards(scenario: Scenario, shards: int) -> Iterator[Any]:
    """A night too large for memory, as ``shards`` independent parts (pyarrow tables).

    Each part is ``generate`` of ``voters / shards`` voters (farms, bots and campaigns
    scaled alike) from its own child seed, so only one part is ever in memory; a writer
    appends them in order (``ParquetWriter``: a row group each). Ballot ids keep counting
    across parts and voter ids carry a two-digit part number, so no two parts share a ballot
    or a voter; e-mails, phones and addresses are drawn independently and, like real ones,
    collide across parts now and then. One part is ``generate(scenario).table`` itself.
    """
    if not 1 <= shards <= 99:
        raise WrongType("shards must be from 1 to 99", field="shards")
    if shards == 1:
        yield generate(scenario).table
        return
    seeds = np.random.SeedSequence(scenario.seed).spawn(shards)
    offset = 0
    for number, child in enumerate(seeds):
        voters = scenario.voters // shards + (number < scenario.voters % shards)
        part = replace(
            scenario,
            voters=max(1, voters),
            farms=max(1, scenario.farms // shards),
            bots=max(1, scenario.bots // shards),
            seed=int(child.generate_state(1)[0]),
        )
        table = generate(part).table
        ballots = pc.cast(pc.utf8_slice_codeunits(table.column("ballot_id"), 1), pa.int64())
        renumbered = _strings("b", pc.add(ballots, offset).to_numpy())
        offset += int(pc.max(ballots).as_py() or 0)
        voter = pc.binary_join_element_wise(
            f"v{number:02d}", pc.utf8_slice_codeunits(table.column("voter"), 1), ""
        )
        table = table.set_column(table.schema.get_field_index("ballot_id"), "ballot_id",
                                 renumbered)  # fmt: skip
        yield table.set_column(table.schema.get_field_index("voter"), "voter", voter)


@dataclass
class _People:
    columns: tuple[Any, Any, Any, Any, Any]
    web: npt.NDArray[np.bool_]
    sms: npt.NDArray[np.bool_]


def _people(rng: np.random.Generator, n: int, sms_share: float, voter_ids: Any) -> _People:
    """Real, distinct people: own mailbox, households sharing an IP, carriers sharing blocks."""
    first = np.asarray(_FIRST)[rng.integers(0, len(_FIRST), n)]
    last = np.asarray(_LAST)[rng.integers(0, len(_LAST), n)]
    sep = np.asarray([".", "_", ""])[rng.integers(0, 3, n)]
    unique = _distinct(rng, n, 0, max(10**7, n * 50))  # every person has their own mailbox
    domain = np.asarray(_DOMAINS)[rng.choice(len(_DOMAINS), n, p=_DOMAIN_WEIGHTS)]
    email = pc.binary_join_element_wise(
        pa.array(first), pa.array(sep), pa.array(last),
        pa.array(unique).cast(pa.string()), pa.array(np.char.add("@", domain)), "",
    )  # fmt: skip
    texter = rng.random(n) < sms_share
    web = ~texter | (rng.random(n) < 0.4)
    phone_numbers = _us_numbers(_distinct(rng, n, 2_000_000_000, 9_999_999_999))
    has_phone = texter | (rng.random(n) < 0.3)
    phone = pc.if_else(pa.array(has_phone), _strings("+1", phone_numbers), "")
    # Households of 1-4 share a home address; some people vote over a carrier's shared block.
    household = np.cumsum(rng.random(n) < 0.75) - 1
    home = _distinct(rng, int(household.max()) + 1, 0x18000000, 0xDF000000)[household]
    pool = max(16, n // 40)
    carrier_blocks = _distinct(rng, max(2, pool // 200), 0x64400000 >> 8, 0x64800000 >> 8)
    carrier = (carrier_blocks[rng.integers(0, len(carrier_blocks), n)] << 8) + rng.integers(
        1, 255, n
    )
    mobile = texter | (rng.random(n) < 0.3)
    ip = _ip_text(np.where(mobile, carrier, home))
    device_numbers = _distinct(rng, n, 10**11, 10**12)
    # A second member of a household now and then votes on the family tablet.
    shares = np.zeros(n, dtype=bool)
    shares[1:] = (household[1:] == household[:-1]) & (rng.random(n - 1) < 0.15)
    shares[1:] &= ~shares[:-1]  # never three accounts on one device
    device_numbers[1:] = np.where(shares[1:], device_numbers[:-1], device_numbers[1:])
    device = _strings("d", device_numbers)
    return _People((voter_ids(n), email, phone, ip, device), web, texter)


def _revisions(
    rng: np.random.Generator,
    ballots: _Ballots,
    idx: IntArray,
    times: npt.NDArray[np.float64],
    *,
    rate: float,
    popularity: npt.NDArray[np.float64],
) -> None:
    """An earlier web ballot that the later one replaces."""
    revise = rng.random(len(idx)) < rate
    earlier = np.maximum(times[revise] - rng.uniform(30, 1800, int(revise.sum())), 0.0)
    alloc = _organic_alloc(rng, int(revise.sum()), popularity)
    ballots.add(idx[revise], np.minimum(earlier, times[revise] - 1e-3), alloc, sms=False)


def _farm(
    rng: np.random.Generator,
    scenario: Scenario,
    style: str,
    accounts: _Accounts,
    ballots: _Ballots,
    *,
    truth: GroundTruth,
    popularity: npt.NDArray[np.float64],
    voter_ids: Any,
) -> None:
    """One person with many accounts voting for their couple in one sitting."""
    size = int(rng.integers(scenario.farm_size[0], scenario.farm_size[1] + 1))
    couples = len(scenario.couples)
    first, last = str(rng.choice(_FIRST)), str(rng.choice(_LAST))
    # last-then-first: a shape the organic mailboxes (first, last, number) never take
    base = f"{last}{first}{int(rng.integers(10, 9999))}"
    if style == "alias":
        tags = ["", *(f"+{rng.choice(['dwts', 'vote', 'fan', 'x'])}{i}" for i in range(1, size))]
        emails = [f"{base}{tag}@gmail.com" for tag in tags]
    elif style == "dots":
        emails = _dot_variants(rng, base, size)
    elif style == "disposable":
        letters = np.asarray(list("abcdefghijklmnopqrstuvwxyz0123456789"))
        emails = [
            "".join(rng.choice(letters, int(rng.integers(7, 11))))
            + "@"
            + str(rng.choice(_DISPOSABLE))
            for _ in range(size)
        ]
    else:  # sequential names at an ordinary provider
        stem = f"{first[0]}{last}{rng.choice(['', 'fan', 'dwts'])}"
        domain = str(rng.choice(_DOMAINS[:4]))
        first_number = int(rng.integers(1, 50))
        emails = [f"{stem}{first_number + i:02d}@{domain}" for i in range(size)]
    home = int(_distinct(rng, 1, 0x18000000, 0xDF000000)[0])
    devices_n = _distinct(rng, 2, 10**11, 10**12)
    if style == "disposable":
        # A VPN rotates the address; the two phones stay the same.
        ips = _ip_text(_distinct(rng, size, 0x18000000, 0xDF000000))
        device_numbers = devices_n[np.arange(size) % 2]
    else:
        ips = _ip_text(np.full(size, home, dtype=np.int64))
        device_numbers = np.full(size, devices_n[0])
    idx = accounts.add(voter_ids(size), emails, [""] * size, ips, _strings("d", device_numbers))
    voters = pa.concat_arrays([accounts.voter[-1].cast(pa.string())]).to_pylist()
    target_pool = list(scenario.campaigns)
    alloc = np.zeros((size, couples), dtype=np.int8)
    if target_pool and rng.random() < 0.35:
        # Duplicate accounts recruited into an all-but-one campaign: still rule abuse.
        target = scenario.couples.index(target_pool[int(rng.integers(0, len(target_pool)))].target)
        alloc[:] = 10
        alloc[:, target] = 0
        favourite = target
    else:
        favourite = int(rng.choice(couples, p=popularity[::-1] / popularity.sum()))
        alloc[:, favourite] = 10
    # Logging in and out of each account takes a human 20-90 s.
    start = rng.uniform(0.05, 0.9) * scenario.duration_s
    gaps = rng.uniform(20, 90, size) * scenario.time_spread
    times = np.clip(start + np.cumsum(gaps), 0, scenario.duration_s - 1)
    camo = _camouflage(rng, scenario, ballots, idx, times, alloc=alloc, popularity=popularity)
    ballots.add(idx, times, alloc, sms=False)
    for voter in voters:
        truth.abusive[voter] = "farm"
    truth.camouflaged.extend(voter for voter, c in zip(voters, camo, strict=True) if c)
    truth.farms.append({"style": style, "voters": voters,
                        "couple": scenario.couples[favourite]})  # fmt: skip


def _dot_variants(rng: np.random.Generator, base: str, size: int) -> list[str]:
    letters = base
    variants: set[str] = set()
    while len(variants) < size:
        mask = rng.random(len(letters) - 1) < 0.25
        local = "".join(
            ch + ("." if i < len(mask) and mask[i] else "") for i, ch in enumerate(letters)
        )
        variants.add(local)
    return [f"{local}@gmail.com" for local in sorted(variants)]


def _camouflage(
    rng: np.random.Generator,
    scenario: Scenario,
    ballots: _Ballots,
    idx: IntArray,
    times: npt.NDArray[np.float64],
    *,
    alloc: npt.NDArray[np.int8],
    popularity: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Some abusive accounts also cast an organic-looking ballot and pad their allocation."""
    camo = rng.random(len(idx)) < scenario.camouflage
    k = int(camo.sum())
    if k:
        noise = _organic_alloc(rng, k, popularity)
        extra = np.where(alloc[camo] == 0, noise, 0).astype(np.int8)
        alloc[camo] = alloc[camo] + np.where(rng.random((k, 1)) < 0.5, extra, 0).astype(np.int8)
        earlier = _show_times(rng, k, float(scenario.duration_s), len(scenario.couples))
        # An earlier ballot: the abusive one, saved later, replaces it.
        before = times[camo] - rng.uniform(60, 1800, k)
        earlier = np.maximum(np.where(earlier < times[camo], earlier, before), 0.0)
        ballots.add(idx[camo], np.minimum(earlier, times[camo] - 1e-3), noise, sms=False)
        sms = rng.random(k) < 0.5
        ballots.add(idx[camo][sms], earlier[sms] + 5.0, np.minimum(noise[sms], 3).astype(np.int8),
                    sms=True)  # fmt: skip
    return camo


def _bot(
    rng: np.random.Generator,
    scenario: Scenario,
    accounts: _Accounts,
    ballots: _Ballots,
    truth: GroundTruth,
    *,
    popularity: npt.NDArray[np.float64],
    voter_ids: Any,
) -> None:
    """A script casting from a datacenter block at a fixed period."""
    size = int(rng.integers(scenario.bot_size[0], scenario.bot_size[1] + 1))
    couples = len(scenario.couples)
    block = int(_distinct(rng, 1, 0x2D000000 >> 8, 0x2E000000 >> 8)[0])
    ips = _ip_text((block << 8) + rng.integers(1, 255, size))
    domain = f"mx{int(rng.integers(100, 999))}.net"
    if rng.random() < 0.5:
        names = _strings("user", np.arange(size) + int(rng.integers(1000, 9000)), "@" + domain)
    else:  # bought accounts: unrelated names, so only the timing gives the script away
        names = _strings("acct", _distinct(rng, size, 10**6, 10**9), "@" + domain)
    devices = _strings("d", _distinct(rng, size, 10**11, 10**12))
    idx = accounts.add(voter_ids(size), names, [""] * size, ips, devices)
    voters = accounts.voter[-1].cast(pa.string()).to_pylist()
    favourite = int(rng.choice(couples, p=popularity[::-1] / popularity.sum()))
    alloc = np.zeros((size, couples), dtype=np.int8)
    alloc[:, favourite] = 10
    period = rng.uniform(1.0, 6.0)
    jitter = 0.01 * period * scenario.time_spread
    start = rng.uniform(0.05, 0.8) * scenario.duration_s
    times = start + np.arange(size) * period + rng.normal(0, jitter, size)
    times = np.clip(times, 0, scenario.duration_s - 1)
    camo = _camouflage(rng, scenario, ballots, idx, times, alloc=alloc, popularity=popularity)
    ballots.add(idx, times, alloc, sms=False)
    for voter in voters:
        truth.abusive[voter] = "bot"
    truth.camouflaged.extend(voter for voter, c in zip(voters, camo, strict=True) if c)
    truth.bots.append({"voters": voters, "couple": scenario.couples[favourite],
                       "period_s": round(float(period), 3)})  # fmt: skip


def _rows(
    rng: np.random.Generator, scenario: Scenario, accounts: _Accounts, ballots: _Ballots
) -> Any:
    """Ballots to interchange rows in order of acceptance."""
    account = np.concatenate(ballots.account)
    ts_s = np.concatenate(ballots.ts_s)
    sms = np.concatenate(ballots.sms)
    alloc = np.concatenate(ballots.alloc)
    # Web: one row per couple in the ballot, all at the ballot's time.
    web_ballot, web_couple = np.nonzero(alloc * ~sms[:, None])
    web_votes = alloc[web_ballot, web_couple]
    # SMS: one row per text, one vote each, a few human seconds apart.
    sms_ballot, sms_couple = np.nonzero(alloc * sms[:, None])
    texts = alloc[sms_ballot, sms_couple].astype(np.int64)
    text_ballot = np.repeat(sms_ballot, texts)
    text_couple = np.repeat(sms_couple, texts)
    offsets = np.arange(len(text_ballot)) - np.repeat(np.cumsum(texts) - texts, texts)
    text_ts = ts_s[text_ballot] + offsets * rng.uniform(2.0, 9.0, len(text_ballot))
    row_ballot = np.concatenate([web_ballot, len(account) + np.arange(len(text_ballot))])
    row_source = np.concatenate([web_ballot, text_ballot])
    row_ts = np.concatenate([ts_s[web_ballot], text_ts])
    row_couple = np.concatenate([web_couple, text_couple])
    row_votes = np.concatenate([web_votes, np.ones(len(text_ballot), dtype=np.int8)])
    row_sms = np.concatenate([np.zeros(len(web_ballot), bool), np.ones(len(text_ballot), bool)])
    row_ts = np.clip(row_ts, 0, scenario.duration_s - 1e-3)
    order = np.lexsort((row_couple, row_ballot, row_ts))
    # Ballot ids follow acceptance order, like a real log's sequence numbers.
    ballot_rank = np.zeros(row_ballot.max() + 1 if len(row_ballot) else 0, dtype=np.int64)
    first_seen = np.unique(row_ballot[order], return_index=True)
    ballot_rank[first_seen[0]] = np.argsort(np.argsort(first_seen[1]))
    acct = account[row_source[order]]
    start_us = int(scenario.start.timestamp() * 1_000_000)
    ts = (start_us + np.round(row_ts[order] * 1_000_000)).astype(np.int64)
    take = pa.array(acct)
    return pa.table({
        "ballot_id": _strings("b", ballot_rank[row_ballot[order]] + 1),
        "ts": pa.array(ts, type=pa.timestamp("us", tz="UTC")),
        "window": pa.array(np.full(len(order), scenario.window)),
        "voter": accounts.column("voter").take(take),
        "channel": pc.if_else(pa.array(row_sms[order]), "sms", "web"),
        "couple": pa.array(np.asarray(scenario.couples)[row_couple[order]]),
        "votes": pa.array(row_votes[order].astype(np.int8)),
        "email": accounts.column("email").take(take),
        "phone": accounts.column("phone").take(take),
        "ip": accounts.column("ip").take(take),
        "device": accounts.column("device").take(take),
    })  # fmt: skip


def _scenario_dict(scenario: Scenario) -> dict[str, Any]:
    body = asdict(scenario)
    body["start"] = scenario.start.isoformat()
    return body


def scenario_from_options(
    voters: int, seed: int, campaigns: Sequence[str], **options: Any
) -> Scenario:
    """Build a scenario from CLI-style options (``target:share`` campaign strings)."""
    parsed = []
    for text in campaigns:
        target, _, share = text.partition(":")
        try:
            parsed.append(Campaign(target, float(share) if share else 0.03))
        except ValueError as error:
            raise WrongType(f"campaign {text!r}: write TARGET or TARGET:SHARE",
                            field="campaign") from error  # fmt: skip
    return Scenario(voters=voters, seed=seed, campaigns=tuple(parsed), **options)
