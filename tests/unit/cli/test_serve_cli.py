"""``ballroom users``, ``ballroom outbox`` and the demo seeding behind ``serve --demo``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ballroom.bootstrap import bootstrap
from ballroom.cli import main
from ballroom.cli.serve import seed_demo
from ballroom.settings import load_settings


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_users_create_and_list(tmp_path: Path) -> None:
    runner = CliRunner()
    db = _db(tmp_path)
    made = runner.invoke(
        main,
        ["users", "create", "--role", "judge", "--name", "bruno", "--db", db],
        env={"BALLROOM_PASSWORD": "tonioli-10"},
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "judge bruno (judge bruno)"
    made = runner.invoke(
        main,
        [
            "users",
            "create",
            "--role",
            "producer",
            "--name",
            "boss",
            "--password",
            "pass-word",
            "--db",
            db,
        ],
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(main, ["users", "list", "--db", db])
    assert listed.output.splitlines() == ["producer boss", "judge bruno (judge bruno)"]

    app = bootstrap(load_settings(db_url=db))
    try:
        assert app.accounts.log_in("bruno", "tonioli-10").principal.judge == "bruno"
    finally:
        app.stop()


def test_users_create_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    db = _db(tmp_path)
    args = ["users", "create", "--db", db, "--password", "long-enough"]
    short = runner.invoke(
        main, [*args[:4], "--password", "short", "--role", "producer", "--name", "p"]
    )
    assert short.exit_code == 2
    assert "password" in short.output
    nobody = runner.invoke(main, [*args, "--role", "judge", "--name", "simon"])
    assert nobody.exit_code == 2
    assert "unknown_judge" in nobody.output
    runner.invoke(main, [*args, "--role", "producer", "--name", "boss"])
    twice = runner.invoke(main, [*args, "--role", "producer", "--name", "boss"])
    assert twice.exit_code == 1
    assert "conflict" in twice.output
    bad_db = runner.invoke(main, ["users", "list", "--db", "mysql://x/y"])
    assert bad_db.exit_code == 2


def test_outbox_shows_codes(tmp_path: Path) -> None:
    db = _db(tmp_path)
    app = bootstrap(load_settings(db_url=db), make_code=lambda: "424242")
    try:
        app.accounts.sign_up("viewer@example.com", 30, "PR")
    finally:
        app.stop()
    runner = CliRunner()
    plain = runner.invoke(main, ["outbox", "--db", db])
    assert plain.exit_code == 0, plain.output
    assert "viewer@example.com" in plain.output
    assert "424242" in plain.output
    as_json = runner.invoke(main, ["outbox", "--db", db, "--json", "--to", "viewer@example.com"])
    assert json.loads(as_json.output.splitlines()[0])["to"] == "viewer@example.com"


def test_seed_demo_opens_disney_night_and_is_repeatable(tmp_path: Path) -> None:
    app = bootstrap(load_settings(db_url=_db(tmp_path)))
    with app:
        first = seed_demo(app)
        again = seed_demo(app)
        assert first == again
        assert first.window == "s34w04"
        assert app.voting.window_status("s34w04").is_open
        assert app.control.current_night().window == "s34w04"
        assert {name for name, _ in first.judges} == {"carrie-ann", "derek", "bruno"}
        assert app.accounts.log_in(*first.producer).principal.role == "producer"


def test_sms_secret_prints_the_stored_secret_or_the_setting(tmp_path: Path) -> None:
    runner = CliRunner()
    db = _db(tmp_path)
    first = runner.invoke(main, ["sms", "secret", "--db", db])
    assert first.exit_code == 0, first.output
    secret = first.output.strip()
    assert len(secret) >= 32
    again = runner.invoke(main, ["sms", "secret", "--db", db])
    assert again.output.strip() == secret  # kept in the store, as the server uses it
    app = bootstrap(load_settings(db_url=db))
    try:
        assert app.sms_gateway.secret == secret
    finally:
        app.stop()
    configured = runner.invoke(
        main,
        ["sms", "secret", "--db", db],
        env={"BALLROOM_SMS_GATEWAY_SECRET": "from-the-environment"},
    )
    assert configured.output.strip() == "from-the-environment"
    short = runner.invoke(
        main, ["sms", "secret", "--db", db], env={"BALLROOM_SMS_GATEWAY_SECRET": "short"}
    )
    assert short.exit_code == 2
    assert "sms_gateway_secret" in short.output
