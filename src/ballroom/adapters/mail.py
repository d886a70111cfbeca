"""Mail adapters: the development outbox, a table the CLI and the control room can show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import outbox


@dataclass(frozen=True)
class OutboxMessage:
    """One message as the outbox holds it."""

    id: int
    recipient: str
    subject: str
    body: str
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "created_at": datetime.fromtimestamp(self.created_at, UTC).isoformat(),
        }


class OutboxMailer:
    """Keeps every message in the ``outbox`` table instead of sending it (development)."""

    def __init__(self, engine: sa.Engine, now: Callable[[], float]) -> None:
        self._engine = engine
        self._now = now

    def send(self, recipient: str, subject: str, body: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                outbox.insert().values(
                    recipient=recipient, subject=subject, body=body, created_at=self._now()
                )
            )

    def messages(self, *, limit: int = 50, recipient: str | None = None) -> list[OutboxMessage]:
        """The newest messages first, optionally only those to one address."""
        query = sa.select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if recipient is not None:
            query = query.where(outbox.c.recipient == recipient)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            OutboxMessage(row.id, row.recipient, row.subject, row.body, row.created_at)
            for row in rows
        ]
