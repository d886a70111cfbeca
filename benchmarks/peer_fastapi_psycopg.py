"""The conventional peer that ``ballroom bench http --postgres`` measures ballroom against.

What a plain web app does with a ballot, one PostgreSQL transaction per request: a FastAPI
route with a JSON body model, a psycopg connection pool, then in one transaction the ballot
inserted with its idempotency key (a retried key answers the first ballot's seq), each
couple's running count upserted, commit, answer. Bearer token checked for presence only (the
voter is the token), no window, no chain, no replacement of an earlier ballot: less work than
ballroom does, so a fair floor for "a naive app on the same store". Same uvicorn settings as
``ballroom serve`` (one process, log level warning, no access log).

    python benchmarks/peer_fastapi_psycopg.py --db postgresql://postgres@127.0.0.1/test --port 8004

It creates its own two tables (``bench_peer_ballots``, ``bench_peer_counts``), emptied at
start. Needs the ``bench`` extra (psycopg-pool).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

_SCHEMA = """
DROP TABLE IF EXISTS bench_peer_ballots, bench_peer_counts;
CREATE TABLE bench_peer_ballots (
    seq bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    voter text NOT NULL,
    allocation jsonb NOT NULL,
    ts timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bench_peer_counts (couple text PRIMARY KEY, votes bigint NOT NULL);
"""
_INSERT = (
    "INSERT INTO bench_peer_ballots (idempotency_key, voter, allocation) VALUES (%s, %s, %s)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING seq"
)
_FIRST = "SELECT seq FROM bench_peer_ballots WHERE idempotency_key = %s"
_COUNT = (
    "INSERT INTO bench_peer_counts (couple, votes) VALUES (%s, %s)"
    " ON CONFLICT (couple) DO UPDATE SET votes = bench_peer_counts.votes + excluded.votes"
)


class Ballot(BaseModel):
    allocation: dict[str, Annotated[int, Field(ge=0, le=10, strict=True)]]


def make_app(db_url: str, pool_size: int) -> FastAPI:
    pool = ConnectionPool(db_url, min_size=pool_size, max_size=pool_size, open=False)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool.open(wait=True)
        with pool.connection() as connection:
            connection.execute(_SCHEMA)
        yield
        pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/v1/windows/{window}/ballots")
    def cast(
        window: str,
        ballot: Ballot,
        authorization: Annotated[str, Header()],
        idempotency_key: Annotated[str, Header()],
    ) -> dict[str, object]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "a bearer token is required")
        votes = {couple: n for couple, n in ballot.allocation.items() if n}
        if not votes:
            raise HTTPException(422, "a ballot must give at least one vote")
        with pool.connection() as connection, connection.transaction():
            row = connection.execute(_INSERT, (idempotency_key, token, Jsonb(votes))).fetchone()
            if row is None:  # a retry: the first answer
                first = connection.execute(_FIRST, (idempotency_key,)).fetchone()
                assert first is not None
                return {"seq": first[0], "window": window, "allocation": votes}
            with connection.cursor() as cursor:
                cursor.executemany(_COUNT, sorted(votes.items()))  # sorted: no deadlocks
        return {"seq": row[0], "window": window, "allocation": votes}

    return app


def main() -> None:
    """Serve the peer with the uvicorn arguments ``ballroom serve`` uses."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="PostgreSQL URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8004)
    parser.add_argument("--pool", type=int, default=int(os.environ.get("PEER_POOL", "16")))
    options = parser.parse_args()
    url = options.db.replace("postgresql+psycopg://", "postgresql://")
    app = make_app(url, options.pool)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
