"""Child process of the kill -9 test: votes as fast as it can, printing each acknowledgement.

Usage: python kill9_writer.py DB_URL. Prints "READY" once the window is open, then one line
per acknowledged vote: "WEB <key> <voter> <hash>" or "SMS <batch key> <index> <hash>".
The parent SIGKILLs it in the middle of this.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage
from ballroom.services.ports import FixedClock

COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT", "alix": "ALIX"}


def main() -> None:
    engine = create_engine_for(sys.argv[1])
    upgrade(engine)
    service = voting_service(engine, FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC)))
    service.start()
    service.create_window("w", COUPLES)
    service.open_window("w")
    out_lock = threading.Lock()
    print("READY", flush=True)

    def web(worker: int) -> None:
        for n in range(1_000_000):
            key = f"web-{worker}-{n}"
            voter = f"fan{n % 5}@example.com"
            allocation = {"robert": n % 11, "alix": 10 - n % 11}
            receipt = service.cast_web_ballot("w", voter, allocation, idempotency_key=key)
            with out_lock:
                print(f"WEB {key} {voter} {receipt.hash}", flush=True)

    def sms(worker: int) -> None:
        for n in range(1_000_000):
            key = f"sms-{worker}-{n}"
            texts = [SmsMessage(f"+1212555010{i % 3}", "robert") for i in range(4)]
            for outcome in service.ingest_sms(texts, idempotency_key=key):
                if outcome.receipt is not None:
                    with out_lock:
                        print(f"SMS {key} {outcome.index} {outcome.receipt.hash}", flush=True)
            texts = [SmsMessage(f"+1555{n:07d}", "hilaria")]
            for outcome in service.ingest_sms(texts, idempotency_key=key + "h"):
                if outcome.receipt is not None:
                    with out_lock:
                        print(f"SMS {key}h {outcome.index} {outcome.receipt.hash}", flush=True)

    threads = [threading.Thread(target=web, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=sms, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
