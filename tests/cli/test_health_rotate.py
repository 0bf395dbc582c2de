"""`coldfleet health` and `coldfleet rotate` on a project directory with a real stack file, fake collectors and the
stack's inputs handed in (no engine): output, JSON, exit codes, the diff, --dry-run, --summary."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.engine import REPO_ROOT, CliError, StackTarget
from cli.health import StackInputs, cmd_health, options_from_config, settings_from_config
from cli.main import build_parser
from cli.rotate import cmd_rotate
from components.health.collect import HealthContext
from components.health.signals import DomainSignals, Finding
from providers.config import Settings

A, B, C = "alpha-outreach.com", "bravo-outreach.com", "charlie-outreach.com"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text().replace(
        "      - {name: getacme.com, status: active}\n",
        f"      - {{name: {A}, status: active}}\n      - {{name: {B}, status: active}}  # steady\n"
        f"    spares:\n      - {C}\n")
    (tmp_path / "Pulumi.acme.yaml").write_text(text)
    return tmp_path


def inputs(t: StackTarget, args: argparse.Namespace) -> StackInputs:
    return StackInputs(Settings(), {}, {})


def ok(ctx: HealthContext, s: DomainSignals) -> None:
    s.add(Finding(s.domain, "dns", "spf", "ok"))


def alpha_listed(ctx: HealthContext, s: DomainSignals) -> None:
    if s.domain == A:
        s.add(Finding(s.domain, "blocklist", "dbl.spamhaus.org", "worn", "listed (127.0.1.2)"))


def args(project: Path, *argv: str) -> argparse.Namespace:
    return build_parser().parse_args([*argv, "--stack", "acme", "--project-dir", str(project)])


def test_health_table_and_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_health(args(project, "health"), [ok], inputs) == 0
    out = capsys.readouterr().out
    assert "coldfleet health — stack acme" in out and "2 domain(s): 2 healthy; exit code 0" in out
    assert "sender's responsibility" in out and "\033[" not in out  # not a terminal: no colour
    assert cmd_health(args(project, "health"), [ok, alpha_listed], inputs) == 1
    assert cmd_health(args(project, "health"), [], inputs) == 2
    assert cmd_health(args(project, "health", "--domain", B), [ok, alpha_listed], inputs) == 0


def test_health_json_and_markdown(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = project / "health.md"
    code = cmd_health(args(project, "health", "--json", "--markdown", str(md)), [ok, alpha_listed], inputs)
    data = json.loads(capsys.readouterr().out)
    assert code == data["exit_code"] == 1 and data["stack"] == "acme"
    assert {v["domain"]: v["verdict"] for v in data["verdicts"]} == {A: "worn", B: "healthy"}
    assert f"| `{A}` | active | **worn** |" in md.read_text()


def test_stack_config_becomes_settings_and_options(tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps({"graphEndpoint": "https://127.0.0.1:1/v1.0", "clientSecret": "s3"}))
    config = {"coldfleet:settingsFile": str(settings_file), "coldfleet:clientId": "app",
              "cloudflare:apiToken": "tok", "coldfleet:health.min_sent": "10", "coldfleet:fleet": "{}"}
    settings = settings_from_config(config)
    assert (settings.graph_endpoint, settings.client_secret, settings.client_id, settings.cloudflare_api_token) == (
        "https://127.0.0.1:1/v1.0", "s3", "app", "tok")
    assert options_from_config(config) == {"min_sent": "10"}


def test_rotate_dry_run_writes_nothing_then_rotate_writes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_file = project / "Pulumi.acme.yaml"
    before = stack_file.read_text()
    report = project / "health.json"
    cmd_health(args(project, "health", "--json"), [ok, alpha_listed], inputs)
    report.write_text(capsys.readouterr().out)

    assert cmd_rotate(args(project, "rotate", "--report", str(report), "--dry-run", "--today", "2026-12-02")) == 0
    out = capsys.readouterr().out
    assert stack_file.read_text() == before
    assert f"{A}: active → retiring (worn)" in out and f"{C}: spare → active" in out
    assert f'+      - {{name: {A}, status: retiring, retiring_since: "2026-12-02"}}' in out
    assert "no spare domains left: buy 1" in out and "--dry-run: nothing written" in out

    summary = project / "pr.md"
    assert cmd_rotate(args(project, "rotate", "--report", str(report), "--summary", str(summary),
                           "--today", "2026-12-02")) == 0
    after = stack_file.read_text()
    assert after != before and "# A placeholder for the sequencer's OAuth app id" in after
    fleet = yaml.safe_load(after)["config"]["coldfleet:fleet"]
    assert [(d["name"], d["status"]) for d in fleet["domains"]] == [(A, "retiring"), (B, "active"), (C, "active")]
    assert fleet["spares"] == []
    body = summary.read_text()
    assert body.startswith("### coldfleet rotate — stack `acme`")
    assert f"- {A}: active → retiring (worn)" in body and "```diff" in body and "coldfleet health" in body

    cmd_rotate(args(project, "rotate", "--report", str(report), "--today", "2026-12-03"))  # again: nothing new
    assert stack_file.read_text() == after
    assert "nothing to rotate in stack 'acme'" in capsys.readouterr().out


def test_rotate_runs_health_itself_without_a_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_rotate(args(project, "rotate", "--dry-run"), [ok, alpha_listed], inputs) == 0
    out = capsys.readouterr().out
    assert "coldfleet health — stack acme" in out and f"{A}: active → retiring (worn)" in out


def test_rotate_refuses_another_stacks_report(project: Path, tmp_path: Path) -> None:
    other: dict[str, Any] = {"stack": "globex", "today": "2026-12-02", "verdicts": []}
    (tmp_path / "r.json").write_text(json.dumps(other))
    with pytest.raises(CliError, match="the health report of stack 'globex', not 'acme'"):
        cmd_rotate(args(project, "rotate", "--report", str(tmp_path / "r.json")))
    (tmp_path / "r.json").write_text("{")
    with pytest.raises(CliError, match="--report"):
        cmd_rotate(args(project, "rotate", "--report", str(tmp_path / "r.json")))
