"""Run ``ballroom serve`` as a real subprocess on a free loopback port."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ballroom.services.sms_gateway import signed_headers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One ``ballroom serve`` process; ``kill()`` is SIGKILL, ``stop()`` a clean SIGINT."""

    def __init__(
        self,
        db_url: str,
        log: Path,
        *,
        demo: bool = True,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.output = ""
        command = [
            sys.executable,
            "-c",
            "from ballroom.cli import main; main()",
            "serve",
            "--db",
            db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if demo:
            command.append("--demo")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(settings or {})}
        with log.open("ab") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ballroom serve exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    self.output = self.log.read_text()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"ballroom serve did not become healthy:\n{self.log.read_text()}")

    @property
    def sms_secret(self) -> str:
        """The SMS-gateway secret that ``serve --demo`` printed."""
        found = re.findall(r"gateway secret '([^']+)'", self.output)
        assert found, self.output
        return found[-1]

    def post_sms(self, client: httpx.Client, texts: object, key: str) -> httpx.Response:
        """Post a batch of texts as the aggregator does: signed with the shared secret."""
        body = json.dumps(texts).encode()
        headers = signed_headers(self.sms_secret, body, time.time())
        headers |= {"Content-Type": "application/json", "Idempotency-Key": key}
        return client.post("/api/v1/sms/inbound", content=body, headers=headers)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or power loss."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """A clean shutdown (what Ctrl-C does)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def key_missing_scores(base: str, window: str, *, producer: tuple[str, str]) -> None:
    """Each panel judge keys a 7 for every score still missing, through the API of a demo
    server (whose judges log in with their id and the demo password): results are computed
    only on a complete sheet."""

    def login(name: str, password: str) -> dict[str, str]:
        body = {"name": name, "password": password}
        response = httpx.post(f"{base}/api/v1/sessions", json=body)
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    boss = login(*producer)
    sheet = httpx.get(f"{base}/api/v1/nights/{window}/scores", headers=boss).json()
    judges: dict[str, dict[str, str]] = {}
    for hole in sheet["missing"]:
        if hole["judge"] not in judges:
            judges[hole["judge"]] = login(hole["judge"], "judge-demo")
        body = {"couple": hole["couple"], "round": hole["round"], "score": 7}
        response = httpx.put(
            f"{base}/api/v1/nights/{window}/scores", json=body, headers=judges[hole["judge"]]
        )
        response.raise_for_status()
