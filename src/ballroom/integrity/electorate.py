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
# "tablet": one device behind dozens of accounts with unrelated, ordinary mailboxes.
ALL_FARM_STYLES = (*FARM_STYLES, "tablet")
# The benign populations a night can hold besides ordinary fans, as the truth names them.
BENIGN = ("household", "nat", "fan-club", "spike", "sms-fan", "revision", "tactical")
ABUSE = ("farm", "bot", "sim-bank")


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
    farm_styles: tuple[str, ...] = FARM_STYLES
    bot_period_s: tuple[float, float] = (1.0, 6.0)
    bot_jitter: float = 0.01  # standard deviation of a bot's gaps, as a share of its period
    # Benign populations, each labelled in the truth (none by default; see ``BENIGN``).
    households: int = 0  # families voting on one shared tablet, each with their own mailbox
    household_size: tuple[int, int] = (3, 5)
    nats: int = 0  # campus, office or carrier addresses with hundreds of voters behind each
    nat_size: tuple[int, int] = (100, 600)
    fan_clubs: int = 0  # legal pushes: a call to action, then a burst of 10s for one couple
    fan_club_size: tuple[int, int] = (100, 600)
    spike_share: float = 0.0  # voters who vote within a minute or two of their couple's dance
    sms_fans: int = 0  # people who text ten times for one couple, at human pace
    family_plans: float = 0.3  # share of SMS fans on family plans (2-4 consecutive numbers)
    # SMS abuse: SIM banks (consecutive numbers) and power dialers (numbers of one exchange),
    # every number texting ten times at machine pace.
    sim_banks: int = 0
    dialers: int = 0
    sim_bank_size: tuple[int, int] = (20, 120)
    sim_pace_s: tuple[float, float] = (0.3, 2.0)
    sim_jitter: float = 0.03  # standard deviation of the gaps, as a share of the pace
    ts_resolution_s: float = 0.0  # 1: the log keeps whole seconds (0: microseconds)

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
        unknown = set(self.farm_styles) - set(ALL_FARM_STYLES)
        if unknown or not self.farm_styles:
            raise WrongType(f"farm styles are {', '.join(ALL_FARM_STYLES)}", field="farm_styles")
        for name in ("households", "nats", "fan_clubs", "sms_fans", "sim_banks", "dialers"):
            if getattr(self, name) < 0:
                raise WrongType(f"{name} must be 0 or more", field=name)
        for name in ("household_size", "nat_size", "fan_club_size", "sim_bank_size"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise WrongType(f"{name} must be (low, high) with 1 <= low <= high", field=name)
        for name in ("spike_share", "family_plans"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise WrongType(f"{name} must be between 0 and 1", field=name)
        if self.ts_resolution_s < 0:
            raise WrongType("ts_resolution_s must be 0 or more", field="ts_resolution_s")


@dataclass
class GroundTruth:
    """Who did what, as the generator knows it and the detectors must find out."""

    scenario: dict[str, Any]
    abusive: dict[str, str] = field(default_factory=dict)  # voter -> one of ``ABUSE``
    farms: list[dict[str, Any]] = field(default_factory=list)
    bots: list[dict[str, Any]] = field(default_factory=list)
    sim_banks: list[dict[str, Any]] = field(default_factory=list)
    # population (one of ``BENIGN`` but "tactical", which is ``campaigns``) -> its voters
    benign: dict[str, list[str]] = field(default_factory=dict)
    campaigns: list[dict[str, Any]] = field(default_factory=list)  # target, voters (tactical)
    camouflaged: list[str] = field(default_factory=list)

    @property
    def tactical(self) -> set[str]:
        return {voter for campaign in self.campaigns for voter in campaign["voters"]}

    def populations(self) -> dict[str, set[str]]:
        """Every benign population that the night holds, by name (tactical voters included)."""
        out = {name: set(voters) for name, voters in self.benign.items() if voters}
        if self.campaigns:
            out["tactical"] = self.tactical
        return out

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
    pace_s: list[npt.NDArray[np.float64]] = field(default_factory=list)  # NaN: human texting

    def add(
        self,
        account: IntArray,
        ts_s: Any,
        alloc: npt.NDArray[np.int8],
        sms: bool,
        pace_s: Any = np.nan,
    ) -> None:
        keep = alloc.sum(axis=1) > 0
        self.account.append(account[keep])
        self.ts_s.append(np.broadcast_to(np.asarray(ts_s, dtype=np.float64), account.shape)[keep])
        self.sms.append(np.full(int(keep.sum()), sms))
        self.alloc.append(alloc[keep])
        pace = np.broadcast_to(np.asarray(pace_s, dtype=np.float64), account.shape)[keep]
        self.pace_s.append(pace)


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
    revised = _revisions(rng, ballots, organic_idx[web], times[web],
                         rate=scenario.revision_rate, popularity=popularity)  # fmt: skip
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
        style = scenario.farm_styles[number % len(scenario.farm_styles)]
        _farm(rng, scenario, style, accounts, ballots, truth=truth, popularity=popularity,
              voter_ids=voter_ids)  # fmt: skip
    for _ in range(scenario.bots):
        _bot(rng, scenario, accounts, ballots, truth, popularity=popularity, voter_ids=voter_ids)

    # The benign populations and SMS abuse draw from their own stream, so that a scenario
    # without them generates exactly the night it always did.
    extra = np.random.default_rng([scenario.seed, 1])
    labelled = {"revision": revised} if scenario.revision_rate else {}
    labelled |= _populations(extra, scenario, accounts, ballots, truth, popularity=popularity)
    if any(len(idx) for idx in labelled.values()):
        voter_column = accounts.column("voter")
        for name, idx in labelled.items():
            truth.benign[name] = voter_column.take(pa.array(np.unique(idx))).to_pylist()
    table = _rows(rng, scenario, accounts, ballots, extra)
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
) -> IntArray:
    """An earlier web ballot that the later one replaces; the accounts that revised."""
    revise = rng.random(len(idx)) < rate
    earlier = np.maximum(times[revise] - rng.uniform(30, 1800, int(revise.sum())), 0.0)
    alloc = _organic_alloc(rng, int(revise.sum()), popularity)
    ballots.add(idx[revise], np.minimum(earlier, times[revise] - 1e-3), alloc, sms=False)
    return idx[revise]


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
    elif style == "tablet":  # ordinary, unrelated mailboxes, all made on one device
        emails = [
            f"{rng.choice(_FIRST)}{rng.choice(['.', '_', ''])}{rng.choice(_LAST)}"
            f"{int(rng.integers(1, 10**6))}@{rng.choice(_DOMAINS[:6])}"
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
    period = rng.uniform(*scenario.bot_period_s)
    jitter = scenario.bot_jitter * period * scenario.time_spread
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
    rng: np.random.Generator,
    scenario: Scenario,
    accounts: _Accounts,
    ballots: _Ballots,
    extra: np.random.Generator,
) -> Any:
    """Ballots to interchange rows in order of acceptance."""
    account = np.concatenate(ballots.account)
    pace = np.concatenate(ballots.pace_s)
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
    machine = ~np.isnan(pace[text_ballot])
    if machine.any():  # a SIM bank's or dialer's texts: its pace, each gap a little jittered
        steps = pace[text_ballot][machine] * (
            1.0 + extra.normal(0.0, scenario.sim_jitter, int(machine.sum()))
        )
        steps = np.where(offsets[machine] == 0, 0.0, np.maximum(steps, 0.05))
        elapsed = np.cumsum(steps)
        first = np.flatnonzero(offsets[machine] == 0)  # each run of texts starts at offset 0
        starts = np.repeat(first, np.diff(np.concatenate([first, [len(steps)]])))
        text_ts[machine] = ts_s[text_ballot][machine] + elapsed - elapsed[starts]
    row_ballot = np.concatenate([web_ballot, len(account) + np.arange(len(text_ballot))])
    row_source = np.concatenate([web_ballot, text_ballot])
    row_ts = np.concatenate([ts_s[web_ballot], text_ts])
    row_couple = np.concatenate([web_couple, text_couple])
    row_votes = np.concatenate([web_votes, np.ones(len(text_ballot), dtype=np.int8)])
    row_sms = np.concatenate([np.zeros(len(web_ballot), bool), np.ones(len(text_ballot), bool)])
    row_ts = np.clip(row_ts, 0, scenario.duration_s - 1e-3)
    if scenario.ts_resolution_s:
        row_ts = np.floor(row_ts / scenario.ts_resolution_s) * scenario.ts_resolution_s
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


# --------------------------------------------------------------------------- benign populations


@dataclass
class _Folk:
    """Identities of ``n`` real people as numbers, to be shaped before they become strings."""

    email: Any  # Arrow strings: each person's own mailbox
    phone: IntArray
    ip: IntArray
    device: IntArray

    def add(self, accounts: _Accounts, voter_ids: Any, *, phones: bool = True) -> IntArray:
        n = len(self.phone)
        phone = _strings("+1", self.phone) if phones else pa.array([""] * n, type=pa.string())
        return accounts.add(voter_ids(n), self.email, phone, _ip_text(self.ip),
                            _strings("d", self.device))  # fmt: skip


def _folk(rng: np.random.Generator, n: int, surname: npt.NDArray[Any] | None = None) -> _Folk:
    """People with their own mailbox (``surname`` shared where given), phone, home and device."""
    first = np.asarray(_FIRST)[rng.integers(0, len(_FIRST), n)]
    last = surname if surname is not None else np.asarray(_LAST)[rng.integers(0, len(_LAST), n)]
    sep = np.asarray([".", "_", ""])[rng.integers(0, 3, n)]
    number = rng.integers(1, 10**6, n)
    domain = np.asarray(_DOMAINS)[rng.choice(len(_DOMAINS), n, p=_DOMAIN_WEIGHTS)]
    email = pc.binary_join_element_wise(
        pa.array(first), pa.array(sep), pa.array(np.asarray(last, dtype=str)),
        pa.array(number).cast(pa.string()), pa.array(np.char.add("@", domain)), "",
    )  # fmt: skip
    return _Folk(
        email=email,
        phone=_us_numbers(_distinct(rng, n, 2_000_000_000, 9_999_999_999)),
        ip=_distinct(rng, n, 0x18000000, 0xDF000000),
        device=_distinct(rng, n, 10**11, 10**12),
    )


def _carrier_ips(rng: np.random.Generator, n: int) -> IntArray:
    """Addresses in the carrier-grade NAT range 100.64.0.0/10 (RFC 6598)."""
    return rng.integers(0x64400000, 0x64800000, n).astype(np.int64)


def _populations(
    rng: np.random.Generator,
    scenario: Scenario,
    accounts: _Accounts,
    ballots: _Ballots,
    truth: GroundTruth,
    *,
    popularity: npt.NDArray[np.float64],
) -> dict[str, IntArray]:
    """The labelled benign populations and the SMS abuse; the accounts of each population."""
    couples = len(scenario.couples)
    duration = float(scenario.duration_s)
    dances = np.linspace(duration * 0.05, duration * 0.85, couples)
    counter = [0]
    pool = _distinct(
        rng,
        _extra_people(scenario) + 16,
        10**10,
        10**11,  # eleven digits: never one of ``generate``'s own ten-digit voter ids
    )

    def voter_ids(count: int) -> Any:
        ids = pool[counter[0] : counter[0] + count]
        counter[0] += count
        return _strings("v", ids)

    out: dict[str, list[IntArray]] = {name: [] for name in BENIGN if name != "tactical"}

    def favourite_ballots(favourites: Any) -> npt.NDArray[np.int8]:
        alloc = np.zeros((len(favourites), couples), dtype=np.int8)
        alloc[np.arange(len(favourites)), favourites] = 10
        return alloc

    # Households: one tablet and one home address, a surname and usually a favourite shared;
    # the members vote one after the other, minutes apart, each from their own mailbox.
    for _ in range(scenario.households):
        size = int(rng.integers(scenario.household_size[0], scenario.household_size[1] + 1))
        folk = _folk(rng, size, surname=np.full(size, rng.choice(_LAST)))
        folk.ip[:] = folk.ip[0]
        folk.device[:] = folk.device[0]
        idx = folk.add(accounts, voter_ids, phones=bool(rng.random() < 0.5))
        fav = int(rng.choice(couples, p=popularity))
        alloc = _organic_alloc(rng, size, popularity)
        shared = rng.random(size) < 0.8
        alloc[shared] = favourite_ballots(np.full(int(shared.sum()), fav))
        start = (
            dances[fav] + rng.exponential(120.0) if rng.random() < 0.6 else rng.uniform(0, duration)
        )
        times = np.clip(start + np.cumsum(rng.uniform(30, 480, size)), 0, duration - 1)
        ballots.add(idx, times, alloc, sms=False)
        out["household"].append(idx)

    # NAT: a campus, an office or a carrier's address with hundreds of ordinary fans behind it.
    for number in range(scenario.nats):
        size = int(rng.integers(scenario.nat_size[0], scenario.nat_size[1] + 1))
        folk = _folk(rng, size)
        folk.ip[:] = _carrier_ips(rng, 1)[0] if number % 2 else folk.ip[0]
        idx = folk.add(accounts, voter_ids)
        times = _show_times(rng, size, duration, couples)
        ballots.add(idx, times, _organic_alloc(rng, size, popularity), sms=False)
        out["nat"].append(idx)

    # Fan clubs: distinct people answering a call to action within a minute or two.
    for _ in range(scenario.fan_clubs):
        size = int(rng.integers(scenario.fan_club_size[0], scenario.fan_club_size[1] + 1))
        folk = _folk(rng, size)
        mobile = rng.random(size) < 0.5
        folk.ip[mobile] = _carrier_ips(rng, int(mobile.sum()))
        idx = folk.add(accounts, voter_ids)
        fav = int(rng.choice(couples, p=popularity))
        call = dances[fav] + rng.uniform(0, 300)
        burst = rng.random(size) < 0.7
        times = np.where(burst, call + rng.exponential(25.0, size), rng.uniform(0, duration, size))
        ballots.add(idx, np.clip(times, 0, duration - 1), favourite_ballots(np.full(size, fav)),
                    sms=False)  # fmt: skip
        out["fan-club"].append(idx)

    # Spikes: many fans vote for a couple in the minute or two after it danced.
    spike = round(scenario.spike_share * scenario.voters)
    if spike:
        folk = _folk(rng, spike)
        mobile = rng.random(spike) < 0.6
        folk.ip[mobile] = _carrier_ips(rng, int(mobile.sum()))
        idx = folk.add(accounts, voter_ids)
        spiked = rng.choice(couples, size=spike, p=popularity)
        times = np.clip(dances[spiked] + 60 + rng.exponential(40.0, spike), 0, duration - 1)
        ballots.add(idx, times, favourite_ballots(spiked), sms=False)
        out["spike"].append(idx)

    # SMS fans: ten texts for one couple at human pace; some on family plans, whose numbers
    # are consecutive and who text from the same sofa at the same time.
    if scenario.sms_fans:
        n = scenario.sms_fans
        folk = _folk(rng, n)
        family = rng.random(n) < scenario.family_plans
        new_family = np.ones(n, dtype=bool)
        new_family[1:] = ~(family[1:] & family[:-1] & (rng.random(n - 1) < 0.7))
        group = np.cumsum(new_family) - 1
        rank = np.arange(n) - np.flatnonzero(new_family)[group]
        rank = np.minimum(rank, 3)
        folk.phone = folk.phone[np.flatnonzero(new_family)[group]] + rank  # consecutive
        idx = _texters(accounts, voter_ids(n), folk.phone)
        texted = rng.choice(couples, size=n, p=popularity)
        start = np.where(
            rng.random(n) < 0.6,
            dances[texted] + rng.exponential(90.0, n),
            rng.uniform(0, duration, n),
        )
        head = np.flatnonzero(new_family)[group]  # a family texts together, for one couple
        texted = texted[head]
        start = start[head] + rng.uniform(0, 20, n) * (rank > 0)
        ballots.add(idx, np.clip(start, 0, duration - 1), favourite_ballots(texted), sms=True)
        out["sms-fan"].append(idx)

    # SIM banks (consecutive numbers, a few missing) and power dialers (numbers scattered in
    # one exchange): every number texts ten votes for one couple at a machine's pace.
    for number in range(scenario.sim_banks + scenario.dialers):
        bank = number < scenario.sim_banks
        size = int(rng.integers(scenario.sim_bank_size[0], scenario.sim_bank_size[1] + 1))
        base = int(_us_numbers(rng.integers(2_000_000_000, 9_999_990_000, 1))[0])
        if bank:
            steps = np.where(rng.random(size) < 0.05, 2, 1)
            phones = base - base % 10 + np.cumsum(steps) - 1
        else:
            phones = base - base % 10_000 + _distinct(rng, size, 0, 10_000)
        idx = _texters(accounts, voter_ids(size), phones.astype(np.int64))
        fav = int(rng.choice(couples, p=popularity[::-1] / popularity.sum()))
        pace = rng.uniform(*scenario.sim_pace_s)
        start = rng.uniform(0.05, 0.85) * duration
        # The bank works its SIMs in rounds: a few at once, each sending its ten texts.
        lanes = int(rng.integers(4, 33))
        times = start + (np.arange(size) // lanes) * pace * 10 + rng.uniform(0, pace, size)
        ballots.add(idx, np.clip(times, 0, duration - 12 * pace),
                    favourite_ballots(np.full(size, fav)), sms=True, pace_s=pace)  # fmt: skip
        voters = accounts.voter[-1].cast(pa.string()).to_pylist()
        for voter in voters:
            truth.abusive[voter] = "sim-bank"
        truth.sim_banks.append({
            "style": "sim-bank" if bank else "dialer", "voters": voters,
            "couple": scenario.couples[fav], "pace_s": round(float(pace), 3),
        })  # fmt: skip
    return {name: np.concatenate(parts) for name, parts in out.items() if parts}


def _texters(accounts: _Accounts, voters: Any, phones: IntArray) -> IntArray:
    """Accounts known by their number alone, as a text-only voter is."""
    blank = pa.array([""] * len(phones), type=pa.string())
    return accounts.add(voters, blank, _strings("+1", phones), blank, blank)


def _extra_people(scenario: Scenario) -> int:
    """At most how many accounts ``_populations`` makes."""
    return (
        scenario.households * scenario.household_size[1]
        + scenario.nats * scenario.nat_size[1]
        + scenario.fan_clubs * scenario.fan_club_size[1]
        + round(scenario.spike_share * scenario.voters)
        + scenario.sms_fans
        + (scenario.sim_banks + scenario.dialers) * scenario.sim_bank_size[1]
    )
