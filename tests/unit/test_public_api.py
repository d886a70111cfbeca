"""Pins the public surface that docs/interfaces.md promises: commands, error codes, rule sets."""

from __future__ import annotations

import inspect

import click

import ballroom.errors as errors
from ballroom.cli import main
from ballroom.domain.rules import RULE_SET_NAMES


def test_contract_commands_exist() -> None:
    ctx = click.Context(main)
    commands = set(main.list_commands(ctx))
    assert {
        "results",
        "demo",
        "season",
        "serve",
        "import",
        "export",
        "verify",
        "bench",
        "integrity",
        "simulate",
    } <= commands
    integrity = main.get_command(ctx, "integrity")
    assert isinstance(integrity, click.Group)
    assert {"analyze", "eval"} <= set(integrity.commands)
    bench = main.get_command(ctx, "bench")
    assert isinstance(bench, click.Group)
    # The drivers load from the checkout on demand (ballroom.cli.bench).
    assert {"ingest", "http"} <= set(bench.list_commands(click.Context(bench)))


def test_rule_set_names_are_the_contract_ones() -> None:
    assert RULE_SET_NAMES == ("dwts", "dwts-judges-save", "strictly", "skating")


def test_every_error_has_its_own_stable_code() -> None:
    classes = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.BallroomError)
    ]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), "two error classes share a code"
    for cls in classes:
        assert cls.__doc__, f"{cls.__name__} needs a one-line docstring"
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"
