"""ballroom: run a live, judged competition with a capped public vote, and prove the count."""

from __future__ import annotations

__version__ = "0.1.0"
