"""``chinwag bench`` command line: help, option checks, and the loopback-only rule."""

from __future__ import annotations

import argparse
import json

import pytest

from chinwag import cli
from chinwag.bench import main

SCENARIOS = ("fanout", "paced", "dm", "connect", "lobby", "soak", "overrun")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    main.configure_parser(parser)
    return parser.parse_args(argv)


def test_help_lists_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in SCENARIOS:
        assert name in out
    assert "loopback" in out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_scenario_has_help(scenario: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench", scenario, "--help"])
    assert exc.value.code == 0
    assert "--server-pid" in capsys.readouterr().out


def test_a_scenario_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench"])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["fanout", "--clients", "0"],
        ["paced", "--rate", "0"],
        ["connect", "--oper", "nopassword"],
        ["dm", "--port", "-1"],
    ],
)
def test_bad_options_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse(argv)
    assert exc.value.code == 2


@pytest.mark.parametrize("host", ["192.0.2.1", "10.0.0.1", "::2"])
def test_non_loopback_targets_are_refused(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.run(parse(["connect", "--host", host, "--count", "1"])) == 2
    captured = capsys.readouterr()
    assert "only loopback" in captured.err
    assert captured.out == ""


def test_senders_must_leave_a_receiver(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.run(parse(["fanout", "--clients", "3", "--senders", "3"])) == 2
    assert "--senders" in capsys.readouterr().err


def test_unreachable_server_is_a_failed_run_with_one_json_line(
    unused_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main.run(parse(["connect", "--port", str(unused_port), "--count", "3"]))
    assert code == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["ok"] is False
    assert result["registered"] == 0
    assert result["failed"] == 3
