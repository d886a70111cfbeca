"""The bundled Season 34 holds the public record, and only that."""

from __future__ import annotations

from datetime import date

from ballroom.domain.season import JudgeRole
from ballroom.domain.weeks import known_points, max_points
from ballroom.seasons import bundled_season34

CAST = {
    "robert": ("Robert Irwin", "Witney Carson"),
    "whitney": ("Whitney Leavitt", "Mark Ballas"),
    "hilaria": ("Hilaria Baldwin", "Gleb Savchenko"),
    "alix": ("Alix Earle", "Val Chmerkovskiy"),
    "lauren": ("Lauren Jauregui", "Brandon Armstrong"),
    "danielle": ("Danielle Fishel", "Pasha Pashkov"),
    "elaine": ("Elaine Hendrix", "Alan Bersten"),
    "jen": ("Jen Affleck", "Jan Ravnik"),
    "baron": ("Baron Davis", "Britt Stewart"),
    "dylan": ("Dylan Efron", "Daniella Karagach"),
    "jordan": ("Jordan Chiles", "Ezra Sosa"),
    "scott": ("Scott Hoying", "Rylee Arnold"),
    "andy": ("Andy Richter", "Emma Slater"),
    "corey": ("Corey Feldman", "Jenna Johnson"),
}

PREMIERE = {
    "robert": 15,
    "whitney": 15,
    "hilaria": 14,
    "alix": 13,
    "lauren": 13,
    "danielle": 12,
    "elaine": 12,
    "jen": 12,
    "baron": 10,
    "dylan": 10,
    "jordan": 10,
    "scott": 10,
    "andy": 9,
    "corey": 9,
}


def test_cast_ids_and_keywords() -> None:
    season = bundled_season34()
    assert season.id == "s34"
    assert {c.id: (c.celebrity, c.professional) for c in season.couples} == CAST
    for couple in season.couples:
        assert couple.keyword == couple.id.upper()
        assert couple.id == couple.celebrity.split()[0].lower()


def test_panel_and_guest_judges() -> None:
    season = bundled_season34()
    regular = [j.name for j in season.judges if j.role is JudgeRole.REGULAR]
    assert regular == ["Carrie Ann Inaba", "Derek Hough", "Bruno Tonioli"]
    guests = {
        week.number: season.judge(week.judges[-1]).name
        for week in season.weeks
        if len(week.judges) == 4
    }
    assert guests == {
        5: "Kym Johnson",
        6: "Jon M. Chu",
        7: "Cheryl Burke",
        8: "Flavor Flav",
        9: "Tom Bergeron",
    }
    assert season.weeks[0].judges == ("derek", "bruno")  # Inaba ill at the premiere
    assert season.head_judge == "carrie-ann"


def test_weeks_dates_themes_and_windows() -> None:
    season = bundled_season34()
    assert [season.window_id(w) for w in season.weeks] == [f"s34w{n:02d}" for n in range(1, 12)]
    assert season.week(4).theme == "Disney Night"
    assert season.week(1).date == date(2025, 9, 16)
    assert season.week(11).date == date(2025, 11, 25)
    assert [w.number for w in season.weeks if w.carry_over] == [1, 5]


def test_eliminations_bottoms_and_final_order() -> None:
    season = bundled_season34()
    out = {w.number: w.eliminated for w in season.weeks if w.eliminated}
    assert out == {
        2: ("corey", "baron"),
        3: ("lauren",),
        4: ("hilaria",),
        6: ("scott",),
        7: ("jen",),
        8: ("danielle",),
        9: ("andy",),
        10: ("whitney",),
    }
    assert set(season.week(2).bottom) == {"corey", "baron", "hilaria"}
    assert set(season.week(4).bottom) == {"andy", "hilaria", "danielle"}
    assert season.week(11).final_order == ("robert", "alix", "jordan", "dylan", "elaine")
    assert [len(w.couples) for w in season.weeks] == [14, 14, 12, 11, 10, 10, 9, 8, 7, 6, 5]


def test_every_known_score_and_nothing_else() -> None:
    season = bundled_season34()
    known = {
        week.number: {c: p for c, p in known_points(season, week).items() if p is not None}
        for week in season.weeks
    }
    assert known[1] == PREMIERE
    assert known[2] == {"hilaria": 21}
    assert known[3] == {"lauren": 18}
    assert known[4] == {}
    assert known[5] == {}
    assert known[6] == {"scott": 28}
    assert known[7] == {}  # the marathon bonus is known, Leavitt's dance score is not
    assert known[8] == {"danielle": 34}
    assert known[9] == {"andy": 29}
    assert known[10] == {
        "robert": 59,
        "alix": 58,
        "whitney": 58,
        "jordan": 57,
        "elaine": 57,
        "dylan": 55,
    }
    assert known[11] == {"robert": 89, "alix": 90}
    assert [max_points(season, w) for w in season.weeks] == [
        20,
        30,
        30,
        30,
        40,
        40,
        40,
        40,
        40,
        60,
        90,
    ]


def test_premiere_keyed_score_and_the_paddle() -> None:
    week = bundled_season34().week(1)
    whitney = week.performance("whitney", "Dance")
    hilaria = week.performance("hilaria", "Dance")
    assert whitney is not None
    assert hilaria is not None
    assert whitney.scores == {"derek": 7, "bruno": 8}
    assert "held up a 7" in whitney.notes
    assert hilaria.scores == {"derek": 7, "bruno": 7}


def test_named_dances_and_bonus() -> None:
    season = bundled_season34()
    tango = season.week(2).performance("hilaria", "Dance")
    quickstep = season.week(4).performance("hilaria", "Dance")
    assert tango is not None
    assert quickstep is not None
    assert (tango.style, tango.song, tango.total) == ("Tango", "What Is Love (Haddaway)", 21)
    assert (quickstep.style, quickstep.song, quickstep.total) == ("Quickstep", "Cantina Band", None)
    assert quickstep.scores is None
    assert season.week(7).bonus == {"whitney": 5}
    assert "marathon" in season.week(7).bonus_reason
    assert season.week(10).rounds == ("First dance", "Second dance")
    assert season.week(11).rounds == ("Judges' Choice", "Instant Dance", "Freestyle")
    assert season.week(11).finale


def test_bundled_season_is_loaded_once() -> None:
    assert bundled_season34() is bundled_season34()
