"""Scenario families for the integrity evaluation: nights that differ in their assumptions.

Each family is a way the world might be: how big households and NATs are, how bots pace
themselves, what farms look like, how many people text and how SIM banks work. The detectors
must hold on all of them. ``holdout`` was written and committed before the detectors were
changed against any family, and is never tuned on: its scores are the honest ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ballroom.errors import WrongType
from ballroom.integrity.electorate import ALL_FARM_STYLES, Campaign, Scenario

CAMPAIGNS = (Campaign("hilaria", 0.03), Campaign("andy", 0.01))


@dataclass(frozen=True)
class Family:
    """A named family of nights: ``night(voters, seed)`` builds one."""

    name: str
    tuned_on: bool  # False: never used to choose a weight or a threshold
    assumptions: str
    night: Callable[[int, int], Scenario]


def _holdout(voters: int, seed: int) -> Scenario:
    # Whole-second timestamps; households of two to five, most on one tablet; NATs of
    # hundreds; SMS abuse of both kinds; bots with some jitter; every farm style.
    return Scenario(
        voters=voters,
        seed=seed,
        campaigns=CAMPAIGNS,
        sms_share=0.3,
        farms=max(5, voters // 2000),
        farm_size=(5, 40),
        farm_styles=ALL_FARM_STYLES,
        bots=max(1, voters // 10_000),
        bot_period_s=(2.0, 10.0),
        bot_jitter=0.03,
        households=voters // 25,
        household_size=(2, 5),
        nats=max(2, voters // 5000),
        nat_size=(200, 900),
        fan_clubs=3,
        fan_club_size=(150, 700),
        spike_share=0.06,
        sms_fans=voters // 12,
        family_plans=0.4,
        sim_banks=2,
        dialers=1,
        sim_bank_size=(30, 150),
        sim_pace_s=(0.5, 3.0),
        ts_resolution_s=1.0,
    )


def _homes(voters: int, seed: int) -> Scenario:
    # Whole seconds (added after the holdout's first scores showed busy addresses mistaken
    # for bots there: the tuned families had no coarse clock). Many large households (four
    # or five on a tablet), small NATs, tight bots, farms that
    # reuse one mailbox or one device, few texters, SIM banks that text slowly.
    return Scenario(
        voters=voters,
        seed=seed,
        campaigns=CAMPAIGNS,
        sms_share=0.15,
        farms=max(4, voters // 2500),
        farm_size=(5, 25),
        farm_styles=("alias", "dots", "tablet"),
        bots=max(1, voters // 10_000),
        bot_period_s=(1.0, 4.0),
        bot_jitter=0.01,
        households=voters // 12,
        household_size=(4, 5),
        nats=2,
        nat_size=(100, 200),
        fan_clubs=1,
        fan_club_size=(100, 300),
        spike_share=0.03,
        sms_fans=voters // 40,
        family_plans=0.6,
        sim_banks=1,
        dialers=1,
        sim_bank_size=(20, 60),
        sim_pace_s=(2.0, 4.0),
        ts_resolution_s=1.0,
    )


def _crowds(voters: int, seed: int) -> Scenario:
    # Campus and carrier NATs of up to 1,500 voters each, big fan clubs and spikes, many
    # texters, fast SIM banks, slow jittery bots, farms of throw-away and numbered names.
    return Scenario(
        voters=voters,
        seed=seed,
        campaigns=CAMPAIGNS,
        sms_share=0.4,
        farms=max(4, voters // 2500),
        farm_size=(8, 30),
        farm_styles=("disposable", "sequential", "tablet"),
        bots=max(1, voters // 8000),
        bot_period_s=(5.0, 20.0),
        bot_jitter=0.05,
        households=voters // 50,
        household_size=(2, 4),
        nats=max(3, voters // 4000),
        nat_size=(500, 1500),
        fan_clubs=4,
        fan_club_size=(300, 1200),
        spike_share=0.1,
        sms_fans=voters // 6,
        family_plans=0.3,
        sim_banks=3,
        dialers=2,
        sim_bank_size=(40, 200),
        sim_pace_s=(0.2, 0.8),
        ts_resolution_s=0.001,
    )


def _dialers(voters: int, seed: int) -> Scenario:
    # The holdout's SMS-abuse assumptions, where tuning is allowed (added because the
    # holdout missed SIM-bank texters that no tuned family reproduced): whole seconds, SIM
    # banks and dialers at 0.5-3 s a text. Its benign SMS is heavier than the holdout's:
    # 1 in 5 voters a fan texting ten times, 70 % of them on family plans. Everything else
    # differs: small NATs, households of two or three, fast bots, numbered/alias farms.
    return Scenario(
        voters=voters,
        seed=seed,
        campaigns=CAMPAIGNS,
        sms_share=0.45,
        farms=max(4, voters // 3000),
        farm_size=(6, 20),
        farm_styles=("sequential", "alias"),
        bots=max(1, voters // 12_000),
        bot_period_s=(1.5, 5.0),
        bot_jitter=0.02,
        households=voters // 30,
        household_size=(2, 3),
        nats=2,
        nat_size=(100, 300),
        fan_clubs=2,
        fan_club_size=(100, 400),
        spike_share=0.04,
        sms_fans=voters // 5,
        family_plans=0.7,
        sim_banks=4,
        dialers=2,
        sim_bank_size=(20, 120),
        sim_pace_s=(0.5, 3.0),
        ts_resolution_s=1.0,
    )


FAMILIES = (
    Family(
        "holdout",
        False,
        "written first, never tuned on: whole-second timestamps, households of 2-5, NATs of "
        "200-900, jittery bots (3 %), SIM banks and dialers at 0.5-3 s",
        _holdout,
    ),
    Family(
        "homes",
        True,
        "whole seconds, households of 4-5 on one tablet (1 in 12 voters' homes), tight "
        "bots, alias/dots/tablet farms, few texters, slow SIM banks (2-4 s)",
        _homes,
    ),
    Family(
        "crowds",
        True,
        "NATs of 500-1,500, big fan clubs and spikes, 40 % texters, fast SIM banks "
        "(0.2-0.8 s), slow jittery bots (5-20 s, 5 %), disposable/numbered/tablet farms",
        _crowds,
    ),
    Family(
        "dialers",
        True,
        "the holdout's SMS abuse where tuning is allowed: whole seconds, SIM banks and "
        "dialers at 0.5-3 s; 45 % texters, 1 in 5 voters a ten-text fan (70 % on family "
        "plans), small NATs, households of 2-3, numbered/alias farms",
        _dialers,
    ),
)


def family(name: str) -> Family:
    for candidate in FAMILIES:
        if candidate.name == name:
            return candidate
    names = ", ".join(f.name for f in FAMILIES)
    raise WrongType(f"unknown scenario family {name!r} (known: {names})", field="family")
