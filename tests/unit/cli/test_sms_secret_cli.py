"""``ballroom sms secret --rotate [--grace S]``: a new secret is printed and kept, the old one
announced with the end of its grace; a secret from the environment is not rotated here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from ballroom.bootstrap import bootstrap
from ballroom.cli import main
from ballroom.settings import load_settings


def test_rotate_prints_the_new_secret_and_the_end_of_the_grace(tmp_path: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    old = runner.invoke(main, ["sms", "secret", "--db", db]).stdout.strip()
    rotated = runner.invoke(main, ["sms", "secret", "--db", db, "--rotate", "--grace", "120"])
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip()
    assert len(new) >= 32
    assert new != old
    until = datetime.fromisoformat(rotated.stderr.rsplit(" ", 1)[1].strip())
    assert 100 < until.timestamp() - datetime.now().timestamp() <= 120
    shown = runner.invoke(main, ["sms", "secret", "--db", db])
    assert shown.stdout.strip() == new
    assert "previous secret is accepted until" in shown.stderr
    app = bootstrap(load_settings(db_url=db))
    try:
        secrets = app.sms_gateway.secrets
        assert (secrets.current, secrets.previous) == (new, old)
    finally:
        app.stop()
    # The default grace is an hour; 0 drops the old secret at once.
    rotated = runner.invoke(main, ["sms", "secret", "--db", db, "--rotate", "--grace", "0"])
    assert rotated.exit_code == 0, rotated.output
    assert rotated.stderr == ""
    assert runner.invoke(main, ["sms", "secret", "--db", db]).stderr == ""


def test_bad_uses_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    alone = runner.invoke(main, ["sms", "secret", "--db", db, "--grace", "60"])
    assert alone.exit_code == 2
    assert "--grace goes with --rotate" in alone.output
    too_long = runner.invoke(main, ["sms", "secret", "--db", db, "--rotate", "--grace", "9999999"])
    assert too_long.exit_code == 2
    from_env = runner.invoke(
        main,
        ["sms", "secret", "--db", db, "--rotate"],
        env={"BALLROOM_SMS_GATEWAY_SECRET": "a-secret-from-the-environment"},
    )
    assert from_env.exit_code == 1
    assert "BALLROOM_SMS_GATEWAY_PREVIOUS_SECRET" in from_env.stderr
