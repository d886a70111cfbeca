"""The vote log in PostgreSQL: each group commit's rows with ``COPY``, then one commit. Reads
and lookups are the SQL stores' (``vote_store_sql``)."""

from __future__ import annotations

from typing import Any

from ballroom.adapters.vote_store_sql import KEYS_SQL_PG, SqlVoteLog
from ballroom.services.ports import (
    IMPORT_REFUSAL_ROW_FIELDS,
    LOG_ROW_FIELDS,
    REFUSAL_ROW_FIELDS,
    LogBatch,
)

_COPY_LOG = f"COPY vote_log ({', '.join(LOG_ROW_FIELDS)}) FROM STDIN"
_COPY_REFUSALS = f"COPY sms_refusals ({', '.join(REFUSAL_ROW_FIELDS)}) FROM STDIN"
_COPY_IMPORT_REFUSALS = f"COPY import_refusals ({', '.join(IMPORT_REFUSAL_ROW_FIELDS)}) FROM STDIN"
_INSERT_BATCH = (
    "INSERT INTO sms_batches (idempotency_key, fingerprint, messages, ts_us)"
    " VALUES (%s, %s, %s, %s)"
)


class PostgresVoteLog(SqlVoteLog):
    """A vote log in a PostgreSQL database."""

    waits_for_inserts = False
    _keys_sql = KEYS_SQL_PG

    def _key_list(self, keys: list[str]) -> Any:
        return keys  # an array, for ``= ANY``

    def _open_reader(self) -> Any:
        reader: Any = self.engine.raw_connection()
        reader.driver_connection.autocommit = True
        return reader

    def append(self, batch: LogBatch) -> None:
        """``COPY`` the rows and refusals, insert the SMS batch records, commit."""
        driver = self._write_connection().driver_connection
        with driver.cursor() as cursor:
            if batch.rows:
                with cursor.copy(_COPY_LOG) as copy:
                    for row in batch.rows:
                        copy.write_row(row)
            if batch.refusals:
                with cursor.copy(_COPY_REFUSALS) as copy:
                    for refusal in batch.refusals:
                        copy.write_row(refusal)
            if batch.sms_batches:
                cursor.executemany(_INSERT_BATCH, batch.sms_batches)
            if batch.import_refusals:
                with cursor.copy(_COPY_IMPORT_REFUSALS) as copy:
                    for refused in batch.import_refusals:
                        copy.write_row(refused)
        driver.commit()
