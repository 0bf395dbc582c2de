"""One domain, three mailboxes, through the real engine and the `coldfleet` CLI: up → no-op preview → destroy.

After each step the test asks the doubles (through our own clients) and BIND (through dnspython) what they hold.
"""

from __future__ import annotations

import csv
import io
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import pytest
from pulumi.automation import OpType

from cli.engine import REPO_ROOT, open_stack, target
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.clients.registrar import registrar_for
from providers.m365_tenant import EXCHANGE_ONLINE_APP_ID

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOMAIN = "getacme.com"
SEQUENCER_APP = "11111111-2222-3333-4444-555555555555"  # the placeholder in Pulumi.dev.yaml


def coldfleet(project: Path, sandbox_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox_dir)}
    env.pop("PULUMI_BACKEND_URL", None)
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"coldfleet {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def ask(sandbox: Any, name: str, rdtype: str) -> list[str]:
    """Ask the sandbox's BIND directly (authoritative, no cache)."""
    info = sandbox.info["dns"]
    query = dns.message.make_query(name, rdtype)
    response = dns.query.tcp(query, info["server"], port=int(info["port"]), timeout=5)
    out = []
    for rrset in response.answer:
        if rrset.rdtype != dns.rdatatype.from_text(rdtype):
            continue
        for rr in rrset:
            if rdtype == "TXT":
                out.append(b"".join(rr.strings).decode())
            else:
                out.append(rr.to_text().rstrip(".").lower())
    return sorted(out)


def outputs(project: Path, sandbox_dir: Path) -> dict[str, Any]:
    proc = coldfleet(project, sandbox_dir, "outputs", "--stack", "dev", "--show-secrets")
    return dict(json.loads(proc.stdout))


@pytest.fixture(scope="module")
def provisioned(sandbox: Any, project_dir: Path) -> dict[str, Any]:
    sandbox.set_mailbox_delay(0.5)
    proc = coldfleet(project_dir, sandbox.dir, "up", "--stack", "dev", "--yes")
    assert "Outputs:" in proc.stdout
    assert "[secret]" in proc.stdout  # the export is secret in the console too
    return outputs(project_dir, sandbox.dir)


def test_up_provisions_one_domain_end_to_end(sandbox: Any, provisioned: dict[str, Any]) -> None:
    inventory = provisioned["inventory"][DOMAIN]
    tenant_id = inventory["tenant_id"]
    graph = GraphClient(sandbox.settings, tenant_id)
    domain = graph.get_domain(DOMAIN)
    assert domain is not None and domain.is_verified and "Email" in domain.supported_services
    mailboxes = inventory["mailboxes"]
    assert len(mailboxes) == 3
    for box in mailboxes:
        user = graph.find_user(box["email"])
        assert user is not None and user.account_enabled and user.assigned_sku_ids
        assert user.marker == "coldfleet"
        assert graph.mailbox_settings(user.id) is not None
    dkim = ExchangeClient(sandbox.settings, tenant_id).get_dkim(DOMAIN)
    assert dkim is not None and dkim.enabled
    # OAuth is the sending path: the sequencer's app has tenant-wide consent for IMAP and SMTP.
    assert graph.consent_scopes(SEQUENCER_APP, EXCHANGE_ONLINE_APP_ID) == ["IMAP.AccessAsUser.All", "SMTP.Send"]
    # What the authoritative server answers.
    assert ask(sandbox, DOMAIN, "MX") == ["0 getacme-com.mail.protection.outlook.com"]
    txt = ask(sandbox, DOMAIN, "TXT")
    assert "v=spf1 include:spf.protection.outlook.com -all" in txt
    assert any(v.startswith("MS=ms") for v in txt)
    assert ask(sandbox, f"autodiscover.{DOMAIN}", "CNAME") == ["autodiscover.outlook.com"]
    dmarc = ask(sandbox, f"_dmarc.{DOMAIN}", "TXT")
    assert len(dmarc) == 1 and dmarc[0].startswith("v=DMARC1; p=quarantine")
    assert ask(sandbox, f"selector1._domainkey.{DOMAIN}", "CNAME") == [dkim.selector1_cname.lower()]
    assert ask(sandbox, f"selector2._domainkey.{DOMAIN}", "CNAME") == [dkim.selector2_cname.lower()]


def test_export_is_an_instantly_csv_and_secrets_stay_secret(
    sandbox: Any, project_dir: Path, provisioned: dict[str, Any]
) -> None:
    rows = list(csv.DictReader(io.StringIO(provisioned["export_csv"])))
    assert [r["Email"] for r in rows] == sorted(b["email"] for b in provisioned["inventory"][DOMAIN]["mailboxes"])
    # OAuth path: the sign-in list Instantly's Microsoft connect asks for, never an import with empty passwords.
    assert all(r["Password"] and "SMTP Password" not in r for r in rows)
    # Without --show-secrets the export is masked, and no password is in the state file in plaintext.
    masked = json.loads(coldfleet(project_dir, sandbox.dir, "outputs", "--stack", "dev").stdout)
    assert masked["export_csv"] == "[secret]"
    state = (project_dir / ".state" / ".pulumi" / "stacks" / "coldfleet" / "dev.json").read_text()
    stack = open_stack(target("dev", project_dir), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)})
    deployment = json.dumps(stack.export_stack().deployment)
    passwords = [
        r["outputs"].get("password")
        for r in json.loads(deployment)["resources"]
        if r["type"].endswith(":Mailbox") and isinstance(r.get("outputs", {}).get("password"), str)
    ]
    assert passwords == []  # every password output is an encrypted secret object
    assert sandbox.info["credentials"]["client_secret"] not in state


def test_state_keeps_only_our_frames_of_each_stack_trace(
    sandbox: Any, project_dir: Path, provisioned: dict[str, Any]
) -> None:
    """components/stack_trace.py: the frames below coldfleet's own (asyncio, gRPC, threading) are not stored."""
    state = json.loads((project_dir / ".state" / ".pulumi" / "stacks" / "coldfleet" / "dev.json").read_text())
    mailboxes = [r for r in state["checkpoint"]["latest"]["resources"] if r["type"].endswith(":Mailbox")]
    assert mailboxes
    for resource in mailboxes:
        frames = [f["sourcePosition"] for f in resource["stackTrace"]]
        assert frames and frames[0] == resource["sourcePosition"]
        assert not [f for f in frames if "site-packages" in f or "/lib/python3" in f], frames
        assert len(json.dumps(resource)) <= 4096


def test_preview_after_up_has_no_changes(sandbox: Any, project_dir: Path, provisioned: dict[str, Any]) -> None:
    proc = coldfleet(project_dir, sandbox.dir, "preview", "--stack", "dev", "--expect-no-changes")
    assert "unchanged" in proc.stdout


def test_main_py_is_the_same_program(sandbox: Any, project_dir: Path, provisioned: dict[str, Any]) -> None:
    """`__main__.py` run as an inline program yields the same stack: a preview with no changes."""

    def program() -> None:
        runpy.run_path(str(REPO_ROOT / "__main__.py"), run_name="__main__")

    os.environ["COLDFLEET_SANDBOX_DIR"] = str(sandbox.dir)
    stack = open_stack(target("dev", project_dir), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)},
                       program=program)
    result = stack.preview(expect_no_changes=True)
    assert result.change_summary.get(OpType.SAME, 0) >= 1


def test_destroy_removes_all_but_registration_and_zone(
    sandbox: Any, project_dir: Path, provisioned: dict[str, Any]
) -> None:
    inventory = provisioned["inventory"][DOMAIN]
    tenant_id = inventory["tenant_id"]
    coldfleet(project_dir, sandbox.dir, "destroy", "--stack", "dev", "--yes")
    graph = GraphClient(sandbox.settings, tenant_id)
    for box in inventory["mailboxes"]:
        assert graph.find_user(box["email"]) is None
    assert graph.get_domain(DOMAIN) is None
    dkim = ExchangeClient(sandbox.settings, tenant_id).get_dkim(DOMAIN)
    assert dkim is None or not dkim.enabled
    assert ask(sandbox, DOMAIN, "MX") == []
    assert ask(sandbox, f"_dmarc.{DOMAIN}", "TXT") == []
    assert ask(sandbox, f"selector1._domainkey.{DOMAIN}", "CNAME") == []
    # The zone and the registration stay.
    assert ask(sandbox, DOMAIN, "SOA")
    assert registrar_for(sandbox.settings, "namecom").get(DOMAIN) is not None
