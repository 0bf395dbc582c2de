"""Issue 10's day-two loop through the real engine and the REAL health collectors (components.health.collect
COLLECTORS, run by `cli.health.cmd_health`) on the shared sandbox: up → one domain listed on the sandbox's Spamhaus
DBL → health exits 1 with that domain worn → rotate with that report → the preview shows exactly the retiring domain
and the promoted spare → up → health again: nothing worn, broken or unchecked, exit 0.

Health answers for every source: the sequencer's numbers come from a CSV export (`coldfleet:health.sequencerCsv`, all
zeros: nothing sent yet), and the DMARC reports source is not configured (rua on a domain outside the stack, no
`dmarcReportsDir`), so it claims nothing. Tests run in file order and build on each other; the listing is removed
at the end of the module even when a test fails. The mailbox-replacement half of rotate is test_health_rotate.py's.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.health import cmd_health
from sandbox.handle import SandboxHandle
from tests.e2e.test_health_rotate import DOMAIN_TYPES, inventory, preview_steps, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

A, B, C = "alpha-dayloop.com", "bravo-dayloop.com", "charlie-dayloop.com"
ZONE = "dbl.spamhaus.org"


@pytest.fixture(scope="module")
def project(sandbox: SandboxHandle, project_dir: Path) -> Iterator[Path]:
    sandbox.set_mailbox_delay(0.2)
    csv = project_dir / "sequencer.csv"
    csv.write_text("email,sent,bounced,complaints,replies\n"
                   + "".join(f"anna@{d},0,0,0,0\n" for d in (A, B, C)))
    path = project_dir / "Pulumi.dev.yaml"
    text = path.read_text().replace("      mailboxes: 3\n", "      mailboxes: 1\n").replace(
        "      - {name: getacme.com, status: active}\n",
        f"      - {{name: {A}, status: active}}\n      - {{name: {B}, status: active}}\n"
        f"    spares:\n      - {C}\n")
    text = text.replace("config:\n", f"config:\n  coldfleet:health.sequencerCsv: {csv}\n", 1)
    path.write_text(text)
    try:
        yield project_dir
    finally:
        sandbox.set_blocklisted(ZONE, A, None)


def health(sandbox: SandboxHandle, project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """`coldfleet health --json` with every real collector."""
    os.environ["COLDFLEET_SANDBOX_DIR"] = str(sandbox.dir)
    args = argparse.Namespace(stack="dev", project_dir=str(project), domain=None, json=True, markdown=None,
                              sandbox_dir=None, verbose=False)
    code = cmd_health(args)
    return code, dict(json.loads(capsys.readouterr().out))


def not_ok(report: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    return {(f["domain"], f["source"], f["check"]): f["level"] for f in report["findings"]
            if f["level"] not in ("ok", "watch")}


def test_1_up(sandbox: SandboxHandle, project: Path) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    assert sorted(inventory(project, sandbox)) == [A, B]


def test_2_a_listing_reads_worn(sandbox: SandboxHandle, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox.set_blocklisted(ZONE, A, "127.0.1.2")
    code, report = health(sandbox, project, capsys)
    verdicts = {v["domain"]: v for v in report["verdicts"]}
    assert code == 1 and report["exit_code"] == 1
    assert verdicts[A]["verdict"] == "worn" and verdicts[B]["verdict"] != "worn", verdicts
    assert not_ok(report) == {(A, "blocklist", ZONE): "worn"}, not_ok(report)
    assert {f["source"] for f in report["findings"]} >= {"dns", "blocklist", "microsoft", "sequencer"}
    assert any(f["source"] == "sequencer" and f["level"] == "ok" for f in report["findings"])
    (project / "health.json").write_text(json.dumps(report))


def test_3_rotate_then_preview_shows_exactly_the_rotation(sandbox: SandboxHandle, project: Path) -> None:
    out = run(project, sandbox, "rotate", "--stack", "dev", "--report", str(project / "health.json")).stdout
    assert f"{A}: active → retiring (worn)" in out and f"{C}: spare → active" in out and f"{B}:" not in out, out
    assert "no spare domains left: buy 1" in out
    fleet = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]["coldfleet:fleet"]
    assert [(d["name"], d["status"]) for d in fleet["domains"]] == [(A, "retiring"), (B, "active"), (C, "active")]
    assert not fleet.get("spares")

    steps = preview_steps(project, sandbox)
    ours = (*DOMAIN_TYPES, "Mailbox")
    changed = sorted((op, kind, name) for op, kind, name in steps if op != "same" and kind in ours)
    assert changed == sorted([("create", kind, C) for kind in DOMAIN_TYPES] + [("create", "Mailbox", f"{C}/anna")])
    for domain in (A, B):  # retiring is an export-only change; B is untouched
        assert {op for op, _kind, name in steps if name == domain or name.startswith(f"{domain}/")} == {"same"}


def test_4_up_then_health_is_clean(sandbox: SandboxHandle, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    after = inventory(project, sandbox)
    assert sorted(after) == [A, B, C] and after[A]["status"] == "retiring" and after[C]["status"] == "active"
    sandbox.set_blocklisted(ZONE, A, None)  # the listing lapses; the retiring domain is still checked
    code, report = health(sandbox, project, capsys)
    verdicts = {v["domain"]: v for v in report["verdicts"]}
    assert sorted(verdicts) == [A, B, C]
    assert not_ok(report) == {}, not_ok(report)
    for domain in (A, B, C):  # clean because every source answered for it, not by silence
        sources = {f["source"] for f in report["findings"] if f["domain"] == domain and f["level"] == "ok"}
        assert sources >= {"dns", "blocklist", "microsoft", "sequencer"}, (domain, sources)
    # watch only for what the local world cannot change: no rua authorisation at acme-reports.com, young domains
    watched = {(f["source"], f["check"]) for f in report["findings"] if f["level"] == "watch"}
    assert watched <= {("dns", "dmarc:rua"), ("age", "registration")}, watched
    for v in verdicts.values():
        assert v["verdict"] != "worn" and v["broken"] == [] and v["unknown"] == [], v
    assert code == 0 and report["exit_code"] == 0
