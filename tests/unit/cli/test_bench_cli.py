"""``ballroom bench`` finds its drivers in a source checkout and says so plainly elsewhere.

The drivers live in ``benchmarks/ballroom_bench``, outside the shipped package; these tests run
a copy of the package that sits outside any checkout, as an installed one does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import ballroom

CHECKOUT = Path(__file__).resolve().parents[3]


def _installed_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    shutil.copytree(Path(ballroom.__file__).parent, site / "ballroom")
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    entry = "import sys; from ballroom.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", entry, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_an_installed_package_outside_a_checkout_names_the_missing_drivers(tmp_path: Path) -> None:
    site = _installed_copy(tmp_path)
    result = _run(site, tmp_path, "bench", "http", "--json")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "[benchmarks]" in lines[0]
    assert "source checkout" in lines[0]
    assert "Traceback" not in result.stderr


def test_an_installed_package_run_inside_a_checkout_finds_the_drivers(tmp_path: Path) -> None:
    site = _installed_copy(tmp_path)
    result = _run(site, CHECKOUT, "bench", "ingest", "--help")
    assert result.returncode == 0, result.stderr
    assert "--votes" in result.stdout


def test_the_group_lists_both_drivers_from_a_checkout(tmp_path: Path) -> None:
    result = _run(CHECKOUT / "src", tmp_path, "bench", "--help")
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stdout
    assert "http" in result.stdout
