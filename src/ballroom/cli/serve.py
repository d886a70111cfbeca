"""``ballroom serve`` (the HTTP API and pages), ``ballroom users``, ``ballroom outbox`` and
``ballroom sms secret``."""

from __future__ import annotations

import contextlib
import getpass
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from ballroom.bootstrap import App, bootstrap
from ballroom.cli._common import reports_errors, settle_heap
from ballroom.errors import Conflict
from ballroom.seasons import load_season
from ballroom.services.accounts import Principal, Role
from ballroom.settings import load_settings

DEMO_WEEK = 4
"""Disney Night (s34w04): the demo opens its window for voting."""
DEMO_PRODUCER = ("producer", "producer-demo")
DEMO_SMS_NUMBER = "(201) 555-0134"
"""The vote page's number to text in the demo: from the 555-0100..0199 range kept for fiction."""
DEMO_JUDGE_PASSWORD = "judge-demo"  # noqa: S105 - printed for anyone to use: a demo login
DEFAULT_GRACE_S = 3600
"""How long an old SMS gateway secret stays accepted after ``sms secret --rotate``."""
MAX_GRACE_S = 7 * 86_400
"""The longest grace ``--grace`` allows."""


@dataclass(frozen=True)
class DemoLogins:
    """What ``--demo`` prints: who can log in where, and the open window."""

    window: str
    producer: tuple[str, str]
    judges: tuple[tuple[str, str], ...]


def seed_demo(app: App) -> DemoLogins:
    """Demo producer and judge accounts, tonight's night prepared and its window open.

    Safe to run again on the same store: existing accounts are kept, an open window stays.
    """
    season = app.control.season
    week = season.week(DEMO_WEEK)
    window = season.window_id(week)
    existing = {account.name for account in app.accounts.staff_accounts()}
    if DEMO_PRODUCER[0] not in existing:
        app.accounts.create_staff(DEMO_PRODUCER[0], Role.PRODUCER, DEMO_PRODUCER[1])
    for judge in week.judges:
        if judge not in existing:
            app.accounts.create_staff(judge, Role.JUDGE, DEMO_JUDGE_PASSWORD, judge=judge)
    producer = app.accounts.log_in(*DEMO_PRODUCER).principal
    app.control.prepare_night(producer, window)
    if not app.voting.window_status(window).is_open:
        # Closed for good on an earlier run: the demo still serves it.
        with contextlib.suppress(Conflict):
            app.control.open_window(producer, window)
    return DemoLogins(
        window=window,
        producer=DEMO_PRODUCER,
        judges=tuple((judge, DEMO_JUDGE_PASSWORD) for judge in week.judges),
    )


def _app(db: str | None, season: Path | None) -> App:
    settings = load_settings(db_url=db)
    return bootstrap(settings, season=load_season(season) if season else None)


_DB = click.option(
    "--db",
    "db",
    metavar="URL",
    help="Database URL (default sqlite:///ballroom.db or BALLROOM_DB_URL).",
)
_SEASON = click.option(
    "--season",
    "season",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Season file (TOML/YAML); the bundled Season 34 by default.",
)


@click.command()
@_DB
@click.option("--host", help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 8000).")
@_SEASON
@click.option("--demo", is_flag=True, help="Season 34 with Disney Night open, demo logins.")
@reports_errors
def serve(
    *, db: str | None, host: str | None, port: int | None, season: Path | None, demo: bool
) -> None:
    """Serve the JSON API, /vote, /judge, /control, /results and the docs at /docs."""
    # Imported here: the other subcommands should not pay for the web stack.
    import uvicorn  # noqa: PLC0415

    from ballroom.api.app import create_app  # noqa: PLC0415
    from ballroom.api.slow_clients import deadline_protocol  # noqa: PLC0415

    settings = load_settings(db_url=db, host=host, port=port)
    if demo and settings.sms_number is None:
        settings = settings.model_copy(update={"sms_number": DEMO_SMS_NUMBER})
    app = bootstrap(settings, season=load_season(season) if season else None)
    base = f"http://{settings.host}:{settings.port}"
    if demo:
        app.start()
        logins = seed_demo(app)
        click.echo(f"demo: {logins.window} is open for voting at {base}/vote")
        click.echo(
            f"  producer  {base}/control  name {logins.producer[0]!r} "
            f"password {logins.producer[1]!r}"
        )
        for name, password in logins.judges:
            click.echo(f"  judge     {base}/judge    name {name!r} password {password!r}")
        click.echo(
            "  voter     sign up at /vote with any email; the code is in the control "
            "room's outbox and in `ballroom outbox`"
        )
        click.echo(
            f"  sms       POST {base}/api/v1/sms/inbound signed with the gateway secret "
            f"{app.sms_gateway.secret!r} (`ballroom sms secret`)"
        )
    app.start()  # the lifespan would start it too; here the heap can be settled after it
    settle_heap()
    click.echo(f"serving {settings.db_url} on {base} (docs at {base}/docs)", err=True)
    uvicorn.run(
        create_app(app),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        # Slow clients are cut off and the connections held are capped (docs/security.md).
        http=deadline_protocol(settings.header_timeout_s, settings.body_timeout_s),
        limit_concurrency=settings.max_connections,
    )


@click.group()
def users() -> None:
    """Producer and judge accounts."""


@users.command("create")
@click.option("--role", type=click.Choice(["producer", "judge"]), required=True)
@click.option("--name", required=True, help="Login name.")
@click.option("--judge", "judge", help="For a judge: the panel judge id (default: the name).")
@click.option(
    "--password",
    envvar="BALLROOM_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters (or BALLROOM_PASSWORD).",
)
@_DB
@_SEASON
@reports_errors
def create_user(
    *, role: str, name: str, judge: str | None, password: str, db: str | None, season: Path | None
) -> None:
    """Create a producer or judge account."""
    app = _app(db, season)
    try:
        if role == Role.JUDGE:
            app.control.season.judge(judge or name)  # a judge must sit on the season's panel
        account = app.accounts.create_staff(name, role, password, judge=judge)
    finally:
        app.stop()
    click.echo(_describe(account))


@users.command("list")
@_DB
@_SEASON
@reports_errors
def list_users(db: str | None, season: Path | None) -> None:
    """List producer and judge accounts."""
    app = _app(db, season)
    try:
        for account in app.accounts.staff_accounts():
            click.echo(_describe(account))
    finally:
        app.stop()


@click.command()
@_DB
@_SEASON
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--to", "recipient", help="Only messages to this address.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@reports_errors
def outbox(
    *, db: str | None, season: Path | None, limit: int, recipient: str | None, as_json: bool
) -> None:
    """Show the development mail outbox (verification codes), newest first."""
    app = _app(db, season)
    try:
        messages = app.mailer.messages(limit=limit, recipient=recipient)
    finally:
        app.stop()
    for message in messages:
        if as_json:
            click.echo(json.dumps(message.as_dict()))
        else:
            data = message.as_dict()
            click.echo(f"{data['created_at']}  {data['to']}  {data['body']}")


@click.group()
def sms() -> None:
    """The SMS aggregator's access."""


@sms.command("secret")
@_DB
@_SEASON
@click.option(
    "--rotate",
    is_flag=True,
    help="Make a new secret current; the old one is still accepted for --grace seconds.",
)
@click.option(
    "--grace",
    type=click.IntRange(0, MAX_GRACE_S),
    help="With --rotate: seconds the old secret stays accepted (default 3600; 0: refused at once).",
)
@reports_errors
def sms_secret(db: str | None, season: Path | None, rotate: bool, grace: int | None) -> None:
    """Print the secret the SMS aggregator signs its callbacks with.

    It is BALLROOM_SMS_GATEWAY_SECRET when set, else the one generated and kept in the store.
    Each callback carries X-Ballroom-Timestamp (Unix seconds) and X-Ballroom-Signature:
    sha256=HEX, the HMAC-SHA256 with this secret of the timestamp, a ".", and the raw body.

    --rotate makes a new stored secret current and prints it; callbacks signed with the old
    one are accepted until the grace ends (running servers see the change within seconds),
    then refused. Only one old secret is kept. The rotation is written to the audit log. A
    secret set by BALLROOM_SMS_GATEWAY_SECRET is rotated there instead, keeping the old one as
    BALLROOM_SMS_GATEWAY_PREVIOUS_SECRET until BALLROOM_SMS_GATEWAY_PREVIOUS_UNTIL.
    """
    if grace is not None and not rotate:
        raise click.UsageError("--grace goes with --rotate")
    app = _app(db, season)
    try:
        if rotate:
            secrets = app.rotate_sms_gateway_secret(
                grace_s=DEFAULT_GRACE_S if grace is None else grace, actor=_operator()
            )
        else:
            secrets = app.sms_gateway.secrets
    finally:
        app.stop()
    click.echo(secrets.current)
    if secrets.previous_until is not None and secrets.previous_until > app.clock.now().timestamp():
        until = datetime.fromtimestamp(secrets.previous_until, UTC).isoformat()
        click.echo(f"the previous secret is accepted until {until}", err=True)


def _operator() -> str:
    """Who ran a CLI action, for the audit log: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name and no password entry (some containers)
        return "cli"


def _describe(account: Principal) -> str:
    judge = f" (judge {account.judge})" if account.judge else ""
    return f"{account.role.value} {account.name}{judge}"
