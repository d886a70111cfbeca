"""`ballroom bench ingest` on both stores: the docs/interfaces.md §5 object, small sizes."""

from __future__ import annotations

import json

import pytest
import redis
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
        report["votes_per_s"] / report["baseline"]["rows_per_s"], abs=0.0006
    )
    assert 0 < report["p50_ms"] <= report["p99_ms"]


def test_bench_ingest_refuses_a_bad_commit_size() -> None:
    result = CliRunner().invoke(main, ["bench", "ingest", "--commit", "0", "--json"])
    assert result.exit_code == 2
    assert "commit" in result.output


PEERS = {
    "redis-lua": False,
    "redis-lua-batch": False,
    "redis-lua-aof-always": True,
    "redis-lua-batch-aof-always": True,
    "postgresql-capped-upsert": True,
}


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_bench_ingest_peers_accept_what_we_accept(
    store: str, postgres_url: str, request: pytest.FixtureRequest
) -> None:
    """The peers run on the real Redis and PostgreSQL; a server that is down fails the test."""
    server = postgres_url.split("?", maxsplit=1)[0]
    redis_client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    settings_before = redis_client.config_get("appendonly", "appendfsync")
    # Compared with what was there before, so a neighbour's run cannot fail this one.
    keys_before = set(redis_client.scan_iter("ballroom-bench:*"))
    # 25 phones texting 120 times each over 8 couples: most pass the cap of 10 per couple.
    args = ["bench", "ingest", "--store", store, "--votes", "3000", "--batch", "250"]
    args += ["--commit", "1000", "--phones", "25", "--peers", "--peers-db", server, "--json"]
    if store == "postgresql":
        args += ["--db", server]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["votes"] == 3000
    assert 0 < report["accepted"] <= 25 * 8 * 10
    assert report["refused"] == 3000 - report["accepted"]
    assert {peer["name"]: peer["durable"] for peer in report["peers"]} == PEERS
    for peer in report["peers"]:
        assert (peer["accepted"], peer["refused"]) == (report["accepted"], report["refused"])
        assert peer["same_accepted"] is True
        assert peer["votes_per_s"] > 0
        assert report["vs_peers"][peer["name"]] == pytest.approx(
            report["votes_per_s"] / peer["votes_per_s"], abs=0.0006
        )
    assert report["peers_agree"] is True
    # The AOF runs put the shared server back as it was, and leave no keys behind.
    assert redis_client.config_get("appendonly", "appendfsync") == settings_before
    assert set(redis_client.scan_iter("ballroom-bench:*")) <= keys_before


def test_bench_ingest_peers_refuse_an_unreachable_redis() -> None:
    args = ["bench", "ingest", "--votes", "1000", "--batch", "500", "--peers"]
    args += ["--redis", "redis://127.0.0.1:1/0", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "[redis]" in result.output
    assert "Traceback" not in result.output
