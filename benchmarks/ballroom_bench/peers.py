"""Peer implementations of the capped vote job, for ``ballroom bench ingest --peers``.

Each peer does the same job as the bulk path on the same texts, and no more: the keyword
becomes a couple, an exact cap of 10 per (window, voter, couple), every accepted vote appended
to a log, over-cap texts refused and counted. They keep no hash chain, no idempotency keys, no
refusal records and no live tally, so they are upper bounds for what such a design costs.

- ``redis-lua``: one ``EVALSHA`` per text (HGET the counter, HINCRBY and XADD the vote to a
  stream only below the cap), pipelined one chunk of ``commit`` texts at a time.
- ``redis-lua-batch``: one ``EVALSHA`` per gateway request of ``batch`` texts, the same loop
  inside the script, pipelined the same way.
- both again with ``-aof-always``: ``CONFIG SET appendonly yes`` + ``appendfsync always`` for
  the run (Redis fsyncs the AOF before it answers), then the server's settings restored.
- ``postgresql-capped-upsert``: ``INSERT INTO caps ... ON CONFLICT DO UPDATE SET n = caps.n + 1
  WHERE caps.n < 10 RETURNING n`` per text (pipelined ``executemany``), the accepted votes
  ``COPY``'d into a votes table, one commit per chunk of ``commit`` texts, in a scratch schema.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import redis
import sqlalchemy as sa

from ballroom.domain.voting import SmsMessage
from ballroom.errors import InvalidInput

CAP = 10
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

# Per text: KEYS caps hash, votes stream; ARGV field, voter, couple. 1 accepted, 0 refused.
_PER_TEXT = f"""
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n >= {CAP} then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('XADD', KEYS[2], '*', 'voter', ARGV[2], 'couple', ARGV[3])
return 1
"""

# Per request: ARGV voter, couple pairs; one '1'/'0' character per text, in order.
_PER_BATCH = f"""
local out = {{}}
for i = 1, #ARGV, 2 do
  local field = ARGV[i] .. '|' .. ARGV[i + 1]
  local n = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if n < {CAP} then
    redis.call('HINCRBY', KEYS[1], field, 1)
    redis.call('XADD', KEYS[2], '*', 'voter', ARGV[i], 'couple', ARGV[i + 1])
    out[#out + 1] = '1'
  else
    out[#out + 1] = '0'
  end
end
return table.concat(out)
"""

_UPSERT = (
    'INSERT INTO caps ("window", phone, couple, n) VALUES (%s, %s, %s, 1) '
    'ON CONFLICT ("window", phone, couple) DO UPDATE SET n = caps.n + 1 '
    "WHERE caps.n < 10 RETURNING n"  # CAP, spelled out as in the issue
)


def run_peers(
    messages: Sequence[SmsMessage],
    keywords: dict[str, str],
    *,
    batch: int,
    commit: int,
    redis_url: str = DEFAULT_REDIS,
    postgres_url: str,
) -> list[dict[str, Any]]:
    """Run every peer on ``messages``; one report per peer, in a fixed order.

    ``keywords`` maps an upper-case keyword to its couple. Each report has ``name``,
    ``votes_per_s``, ``durable``, ``accepted``, ``refused`` and ``note``.
    """
    client = _redis_client(redis_url)
    reports: list[dict[str, Any]] = []
    try:
        for name, runner in (("redis-lua", _redis_per_text), ("redis-lua-batch", _redis_batch)):
            reports.append(_redis_report(name, runner, client, messages, keywords, batch, commit))
        with _redis_aof_always(client):
            for name, runner in (
                ("redis-lua-aof-always", _redis_per_text),
                ("redis-lua-batch-aof-always", _redis_batch),
            ):
                report = _redis_report(name, runner, client, messages, keywords, batch, commit)
                report["durable"] = True
                report["note"] = (
                    "appendonly yes + appendfsync always for this run (Redis fsyncs the AOF "
                    "before it answers), the server's own settings restored after"
                )
                reports.append(report)
    finally:
        client.close()
    reports.append(_postgres_capped_upsert(messages, keywords, url=postgres_url, commit=commit))
    return reports


def check_peers(redis_url: str, postgres_url: str) -> None:
    """Raise ``InvalidInput`` naming the server now, rather than after a long run."""
    _redis_client(redis_url).close()
    _postgres_connection(postgres_url).close()


def _postgres_connection(url: str) -> psycopg.Connection[Any]:
    conninfo = sa.make_url(url).set(drivername="postgresql", query={})
    try:
        return psycopg.connect(conninfo.render_as_string(hide_password=False))
    except psycopg.Error as error:
        raise InvalidInput(
            f"PostgreSQL at {url} does not answer: {' '.join(str(error).split())}",
            field="peers_db",
        ) from error


def _redis_client(url: str) -> redis.Redis:
    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except (redis.RedisError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise InvalidInput(f"Redis at {url} does not answer: {reason}", field="redis") from error
    return client


RedisRunner = Callable[
    [redis.Redis, Sequence[SmsMessage], dict[str, str], str, int, int], tuple[int, float]
]


def _redis_report(
    name: str,
    runner: RedisRunner,
    client: redis.Redis,
    messages: Sequence[SmsMessage],
    keywords: dict[str, str],
    batch: int,
    commit: int,
) -> dict[str, Any]:
    prefix = f"ballroom-bench:{uuid.uuid4().hex[:10]}"
    try:
        accepted, elapsed = runner(client, messages, keywords, prefix, batch, commit)
        stored = int(client.xlen(_keys(prefix)[1]))
    finally:
        client.unlink(*_keys(prefix))
    if stored != accepted:
        raise AssertionError(f"{name}: {accepted} acknowledged but {stored} in the stream")
    return {
        "name": name,
        "votes_per_s": round(len(messages) / elapsed, 1),
        "durable": False,
        "accepted": accepted,
        "refused": len(messages) - accepted,
        "note": "Redis started with --save '' --appendonly no: not durable, an upper bound",
    }


def _keys(prefix: str) -> tuple[str, str]:
    """The caps hash of the bench window and the votes stream of one peer run."""
    return f"{prefix}:caps:bench", f"{prefix}:votes"


def _chunks(messages: Sequence[SmsMessage], size: int) -> Iterator[Sequence[SmsMessage]]:
    for start in range(0, len(messages), size):
        yield messages[start : start + size]


def _redis_per_text(
    client: redis.Redis,
    messages: Sequence[SmsMessage],
    keywords: dict[str, str],
    prefix: str,
    batch: int,
    commit: int,
) -> tuple[int, float]:
    sha = client.script_load(_PER_TEXT)
    caps, votes = _keys(prefix)
    accepted = 0
    started = time.perf_counter()
    for chunk in _chunks(messages, commit):
        pipe = client.pipeline(transaction=False)
        for text in chunk:
            couple = keywords.get(text.body.strip().upper())
            if couple is not None:
                pipe.evalsha(sha, 2, caps, votes, f"{text.phone}|{couple}", text.phone, couple)
        accepted += sum(pipe.execute())
    return accepted, time.perf_counter() - started


def _redis_batch(
    client: redis.Redis,
    messages: Sequence[SmsMessage],
    keywords: dict[str, str],
    prefix: str,
    batch: int,
    commit: int,
) -> tuple[int, float]:
    sha = client.script_load(_PER_BATCH)
    caps, votes = _keys(prefix)
    accepted = 0
    started = time.perf_counter()
    for chunk in _chunks(messages, commit):
        pipe = client.pipeline(transaction=False)
        for request in _chunks(chunk, batch):
            args: list[str] = []
            for text in request:
                couple = keywords.get(text.body.strip().upper())
                if couple is not None:
                    args += (text.phone, couple)
            pipe.evalsha(sha, 2, caps, votes, *args)
        accepted += sum(answer.count(b"1") for answer in pipe.execute())
    return accepted, time.perf_counter() - started


@contextmanager
def _redis_aof_always(client: redis.Redis) -> Iterator[None]:
    """AOF on with an fsync before every answer, for the block; the old settings after."""
    before = str(client.config_get("appendonly")["appendonly"])
    fsync_before = str(client.config_get("appendfsync")["appendfsync"])
    try:
        client.config_set("appendfsync", "always")
        client.config_set("appendonly", "yes")
        # Turning AOF on starts a rewrite; until it ends Redis does not write the AOF yet.
        deadline = time.monotonic() + 60
        while True:
            info = client.info("persistence")
            if (
                info.get("aof_enabled") == 1
                and not info.get("aof_rewrite_in_progress")
                and not info.get("aof_rewrite_scheduled")
            ):
                break
            if time.monotonic() > deadline:
                raise InvalidInput("Redis did not finish turning the AOF on", field="redis")
            time.sleep(0.05)
        yield
    finally:
        client.config_set("appendonly", before)
        client.config_set("appendfsync", fsync_before)


def _postgres_capped_upsert(
    messages: Sequence[SmsMessage], keywords: dict[str, str], *, url: str, commit: int
) -> dict[str, Any]:
    schema = f"peer_{uuid.uuid4().hex[:10]}"
    with _postgres_connection(url) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'SET search_path TO "{schema}"')
        connection.execute(
            'CREATE TABLE caps ("window" text, phone text, couple text, n integer NOT NULL, '
            'PRIMARY KEY ("window", phone, couple))'
        )
        connection.execute(
            'CREATE TABLE votes (id bigserial PRIMARY KEY, "window" text NOT NULL, '
            "phone text NOT NULL, couple text NOT NULL, at timestamptz NOT NULL DEFAULT now())"
        )
        durable = all(
            str(connection.execute(f"SHOW {setting}").fetchone()[0]) == "on"  # type: ignore[index]
            for setting in ("fsync", "synchronous_commit")
        )
        connection.commit()
        try:
            accepted, elapsed = _upsert_all(connection, messages, keywords, commit)
            stored = connection.execute("SELECT count(*) FROM votes").fetchone()[0]  # type: ignore[index]
        finally:
            connection.rollback()
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
            connection.commit()
    if stored != accepted:
        raise AssertionError(f"postgresql: {accepted} acknowledged but {stored} stored")
    return {
        "name": "postgresql-capped-upsert",
        "votes_per_s": round(len(messages) / elapsed, 1),
        "durable": durable,
        "accepted": accepted,
        "refused": len(messages) - accepted,
        "note": f"one connection, one commit per {commit} texts, fsync and synchronous_commit on",
    }


def _upsert_all(
    connection: psycopg.Connection[Any],
    messages: Sequence[SmsMessage],
    keywords: dict[str, str],
    commit: int,
) -> tuple[int, float]:
    accepted = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for chunk in _chunks(messages, commit):
            params = []
            for text in chunk:
                couple = keywords.get(text.body.strip().upper())
                if couple is not None:
                    params.append(("bench", text.phone, couple))
            if not params:
                continue
            cursor.executemany(_UPSERT, params, returning=True)
            taken = []
            for row in params:
                # A refused text's upsert updates nothing, so it returns no row.
                if cursor.fetchone() is not None:
                    taken.append(row)
                cursor.nextset()
            with cursor.copy('COPY votes ("window", phone, couple) FROM STDIN') as copy:
                for row in taken:
                    copy.write_row(row)
            connection.commit()
            accepted += len(taken)
    return accepted, time.perf_counter() - started
