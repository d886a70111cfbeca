"""``ballroom season validate`` and ``ballroom season show``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ballroom.cli import main

GOOD = """\
[season]
id = "demo"
name = "Demo"

[[couples]]
id = "ann"
celebrity = "Ann A"
professional = "Pro A"
keyword = "ANN"

[[couples]]
id = "bob"
celebrity = "Bob B"
professional = "Pro B"
keyword = "BOB"

[[judges]]
id = "derek"
name = "Derek Hough"

[[judges]]
id = "bruno"
name = "Bruno Tonioli"

[[weeks]]
number = 1
theme = "Premiere"
judges = ["derek", "bruno"]
eliminate = 1
eliminated = ["bob"]

[[weeks.performances]]
couple = "ann"
scores = { derek = 7, bruno = 8 }
"""

GOOD_YAML = """\
season: {id: demo, name: Demo}
couples:
  - {id: ann, celebrity: Ann A, professional: Pro A, keyword: ANN}
  - {id: bob, celebrity: Bob B, professional: Pro B, keyword: BOB}
judges:
  - {id: derek, name: Derek Hough}
weeks:
  - number: 1
    theme: Premiere
    judges: [derek]
    eliminate: 1
    performances:
      - couple: ann
        scores: {derek: 7}
"""


def _run(*args: str) -> tuple[int, str, str]:
    # A wide virtual terminal so rich does not wrap table cells in the middle of a name.
    result = CliRunner(env={"COLUMNS": "240"}).invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_validate_bundled_file_prints_one_line_summary() -> None:
    bundled = Path(__file__).parents[3] / "src" / "ballroom" / "data" / "season34.toml"
    code, out, err = _run("season", "validate", str(bundled))
    assert code == 0, err
    assert out == "ok: s34 — 14 couples, 11 weeks, 3 judges (+5 guest judges)\n"


def test_validate_good_toml_and_yaml(tmp_path: Path) -> None:
    code, out, _ = _run("season", "validate", _write(tmp_path, "s.toml", GOOD))
    assert (code, out) == (0, "ok: demo — 2 couples, 1 weeks, 2 judges\n")
    code, out, _ = _run("season", "validate", _write(tmp_path, "s.yml", GOOD_YAML))
    assert (code, out) == (0, "ok: demo — 2 couples, 1 weeks, 1 judges\n")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "score.toml",
            GOOD.replace("bruno = 8", "bruno = 11"),
            "score.toml:34: weeks[0].performances[0].scores.bruno: score 11 is outside 1-10",
        ),
        (
            "dup.toml",
            GOOD.replace("bruno = 8", "bruno = 8, bruno = 9"),
            "dup.toml:34: weeks[0].performances[0].scores.bruno: judge scored this dance twice",
        ),
        (
            "couple.toml",
            GOOD.replace('couple = "ann"', 'couple = "zed"'),
            "couple.toml:33: weeks[0].performances[0].couple: unknown couple 'zed'",
        ),
        (
            "syntax.toml",
            GOOD.replace('theme = "Premiere"', "theme = Premiere"),
            "syntax.toml:27: column 9: Invalid value",
        ),
        (
            "score.yaml",
            GOOD_YAML.replace("derek: 7}", "derek: 11}"),
            "score.yaml:14: weeks[0].performances[0].scores.derek: score 11 is outside 1-10",
        ),
        (
            "couple.yaml",
            GOOD_YAML.replace("couple: ann", "couple: zed"),
            "couple.yaml:13: weeks[0].performances[0].couple: unknown couple 'zed'",
        ),
        (
            "syntax.yaml",
            GOOD_YAML.replace("judges: [derek]", "judges: [derek"),
            "syntax.yaml:11: expected ',' or ']', but got ':'",
        ),
        (
            "dup.yaml",
            GOOD_YAML.replace("{derek: 7}", "{derek: 7, derek: 8}"),
            "dup.yaml:14: weeks[0].performances[0].scores.derek: judge scored this dance twice",
        ),
    ],
)
def test_validate_bad_files_exit_2_naming_file_line_and_field(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = _write(tmp_path, name, text)
    code, out, err = _run("season", "validate", path)
    assert code == 2
    assert out == ""
    assert err == f"error: {tmp_path / expected}\n"


def test_validate_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    code, _, err = _run("season", "validate", str(tmp_path / "nope.toml"))
    assert code == 2
    assert err.startswith("error:")
    assert "Traceback" not in err
    code, _, err = _run("season", "validate", _write(tmp_path, "s.json", "{}"))
    assert code == 2
    assert "unknown season file type '.json'" in err


def test_show_defaults_to_season_34() -> None:
    code, out, err = _run("season", "show")
    assert code == 0, err
    for fragment in (
        "Disney Night",
        "s34w01",
        "Robert Irwin",
        "HILARIA",
        "Hilaria Baldwin",
        "21/30",
        "59/60",
        "90/90",
        "+5 bonus",
        "Tonioli",
    ):
        assert fragment in out, fragment


def test_show_fits_80_columns_and_cuts_no_result() -> None:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(main, ["season", "show"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    # Who went home is there in full, if wrapped: every eliminated celebrity's name.
    text = " ".join(result.stdout.split())
    for name in ("Corey Feldman, Baron Davis", "Hilaria Baldwin", "Whitney Leavitt"):
        assert name in text, name


def test_show_a_file_and_bad_file(tmp_path: Path) -> None:
    code, out, _ = _run("season", "show", _write(tmp_path, "s.toml", GOOD))
    assert code == 0
    assert "Premiere" in out
    assert "ann 15/20" in out
    code, _, err = _run(
        "season", "show", _write(tmp_path, "bad.toml", GOOD.replace("bruno = 8", "bruno = 0"))
    )
    assert code == 2
    assert "bad.toml:34: weeks[0].performances[0].scores.bruno: score 0 is outside" in err
