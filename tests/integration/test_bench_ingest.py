"""`ballroom bench ingest` on both stores: the CONTRACTS.md section 5 object, small sizes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ballroom.cli import main


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_bench_ingest_prints_the_contract_object(
    store: str, request: pytest.FixtureRequest
) -> None:
    args = ["bench", "ingest", "--store", store, "--votes", "6000", "--batch", "500"]
    args += ["--commit", "1500", "--json"]
    if store == "postgresql":
        # The server of the fixture; the bench makes and drops a scratch schema of its own.
        server = str(request.getfixturevalue("postgres_url")).split("?", maxsplit=1)[0]
        args += ["--db", server]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["store"] == store
    assert report["votes"] == 6000
    # 1000 phones texting 6 times at random over 8 couples: nobody passes the cap of 10.
    assert report["accepted"] + report["refused"] == 6000
    assert report["baseline"]["name"] == ("copy" if store == "postgresql" else "executemany")
    assert report["votes_per_s"] > 0
    assert report["baseline"]["rows_per_s"] > 0
    assert report["ratio"] == pytest.approx(
        report["votes_per_s"] / report["baseline"]["rows_per_s"], rel=0.01
    )
    assert 0 < report["p50_ms"] <= report["p99_ms"]


def test_bench_ingest_refuses_a_bad_commit_size() -> None:
    result = CliRunner().invoke(main, ["bench", "ingest", "--commit", "0", "--json"])
    assert result.exit_code == 2
    assert "commit" in result.output
