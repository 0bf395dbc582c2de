"""`coldfleet up` killed with SIGKILL at awkward points, then recovered the way a user would, converges.

Each scenario gets its own domain (so its own tenant, zone and registration) in a throwaway project directory. The
run is started in a new session and killed as a whole: the CLI, the engine and the provider plugin, which the engine
starts in a process group of its own (killing the CLI's group alone leaves the plugin running, for ever).

Recovery is what a user does after a crash: `up` is refused (the killed run's lock is still there) → `coldfleet cancel`
→ `coldfleet refresh --clear-pending-creates` (the creates the engine never heard back about) → `coldfleet up` →
`coldfleet preview --expect-no-changes`. Then the doubles must hold exactly what the stack knows: one tenant, one
subscription, three mailboxes, each DNS record once, nothing else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cli.engine import REPO_ROOT
from components.naming import domain_prefix

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
log = logging.getLogger(__name__)

CLIENT = "acme"
LOCALS = ("anna", "lena", "marco")  # the sample fleet's three personas
SAMPLE_DOMAIN = "{name: getacme.com, status: active}"
MARKER = "coldfleet"

State = dict[str, Any]  # the sandbox admin app's /state


# -- running the CLI -------------------------------------------------------------------------------------------------


def cli_env(sandbox_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox_dir)}
    env.pop("PULUMI_BACKEND_URL", None)  # each project keeps its state in <project>/.state
    return env


def coldfleet(project: Path, sandbox_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    started = time.monotonic()
    proc = subprocess.run(cmd, env=cli_env(sandbox_dir), capture_output=True, text=True, timeout=300,
                          cwd=str(REPO_ROOT))
    log.info("coldfleet %s: %.1fs (exit %d)", " ".join(args), time.monotonic() - started, proc.returncode)
    if check and proc.returncode != 0:
        raise AssertionError(f"coldfleet {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_project(directory: Path, domain: str, sandbox: Any) -> Path:
    """Pulumi.yaml and the sandbox stack with the sample's one domain swapped for `domain` (same salt, same spec),
    naming the session's sandbox's settings file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    stack = (REPO_ROOT / "Pulumi.dev.yaml").read_text()
    assert SAMPLE_DOMAIN in stack and "coldfleet:settingsFile: " in stack
    stack = sandbox.point_stack(stack)
    (directory / "Pulumi.dev.yaml").write_text(stack.replace(SAMPLE_DOMAIN, f"{{name: {domain}, status: active}}"))
    return directory


def read_checkpoint(project: Path) -> dict[str, Any]:
    """The file backend's checkpoint (resources, pending_operations) of stack dev."""
    path = project / ".state" / ".pulumi" / "stacks" / "coldfleet" / "dev.json"
    latest: dict[str, Any] = json.loads(path.read_text())["checkpoint"].get("latest") or {}
    return latest


# -- killing a whole run ---------------------------------------------------------------------------------------------


def session_processes(sid: int) -> dict[int, int]:
    """Live (non-zombie) processes of session `sid`: pid -> process group."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp, session = fields[0], int(fields[2]), int(fields[3])
        if session == sid and state != "Z":
            found[int(entry.name)] = pgrp
    return found


def kill_session(sid: int) -> set[int]:
    """SIGKILL every process of the session (the CLI, the engine, the plugin); return the process groups seen."""
    groups: set[int] = set()
    for _ in range(100):
        procs = session_processes(sid)
        if not procs:
            return groups
        groups |= set(procs.values())
        for pid in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    raise AssertionError(f"session {sid} still has processes: {session_processes(sid)}")


def processes_in(directory: Path) -> list[int]:
    """Live processes working in `directory` (the engine runs there, and so does its plugin; zombies have no cwd)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")) == directory:
                    found.append(int(entry.name))
    return found


@dataclass
class Crash:
    lines: list[str]
    seen: State  # the doubles' state that triggered the kill
    groups: set[int] = field(default_factory=set)  # process groups of the killed session


def crash_up(project: Path, sandbox: Any, when: Callable[[list[str], State], bool], timeout_s: float = 120) -> Crash:
    """Start `coldfleet up` and SIGKILL its whole session as soon as `when(stdout lines, doubles' state)` holds."""
    cmd = [sys.executable, "-u", "-m", "cli", "up", "--stack", "dev", "--yes", "--project-dir", str(project)]
    proc = subprocess.Popen(cmd, env=cli_env(sandbox.dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, cwd=str(REPO_ROOT))
    lines: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: lines.extend(stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout_s
    groups: set[int] = set()
    try:
        while True:
            state = sandbox.admin_state()
            if when(list(lines), state):
                groups = kill_session(proc.pid)
                break
            if proc.poll() is not None:
                raise AssertionError("up ended before the crash point:\n" + "".join(lines))
            if time.monotonic() > deadline:
                raise AssertionError("crash point not reached in time:\n" + "".join(lines))
            time.sleep(0.05)
    finally:
        kill_session(proc.pid)
        proc.wait()
        reader.join(timeout=10)
        stdout.close()
    return Crash(lines, state, groups)


# -- views of the doubles --------------------------------------------------------------------------------------------


def tenants_for(state: State, domain: str) -> list[dict[str, Any]]:
    """Partner Center customers made for this domain (their initial domain carries the fleet's prefix)."""
    initial = f"{domain_prefix(CLIENT, domain)}.onmicrosoft.com"
    return [t for t in state["world"]["tenants"].values() if t["initial_domain"] == initial]


def users_at(state: State, domain: str) -> list[dict[str, Any]]:
    return [u for t in state["world"]["tenants"].values() for u in t["users"].values()
            if u["user_principal_name"].endswith("@" + domain)]


def dkim_of(state: State, domain: str) -> dict[str, Any] | None:
    for tenant in tenants_for(state, domain):
        if domain in tenant["dkim"]:
            found: dict[str, Any] = tenant["dkim"][domain]
            return found
    return None


def created(lines: list[str], kind: str, name: str) -> bool:
    return any(f"coldfleet:{kind} {name} created" in line for line in lines)


def namecom_orders(state: State) -> int:
    return int(state["state"]["namecom"]["orders"])


# -- scenarios -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    domain: str
    when: Callable[[list[str], State], bool]
    at_crash: Callable[[Crash], None]  # proves the kill happened where the scenario says
    latency: tuple[str, int] | None = None  # (double, ms) to widen the window
    latency_knob: str = "latency_ms"  # or "answer_latency_ms": the answer held after the work is done
    mailbox_delay_s: float = 0.5
    plain_refresh_first: bool = False  # also show what a refresh without --clear-pending-creates leaves


def _tenant_no_mailbox(crash: Crash) -> None:
    domain = "crashtenant.com"
    assert len(tenants_for(crash.seen, domain)) == 1
    assert users_at(crash.seen, domain) == []


def _mailboxes_in_flight(crash: Crash) -> None:
    domain = "crashmailbox.com"
    assert 1 <= len(users_at(crash.seen, domain)) <= len(LOCALS)
    assert not any(created(crash.lines, "Mailbox", f"{domain}/{x}") for x in LOCALS)


def _dkim_started(crash: Crash) -> None:
    domain = "crashdkim.com"
    dkim = dkim_of(crash.seen, domain)
    assert dkim is not None and not dkim["enabled"]
    assert not created(crash.lines, "AuthRecords", domain) and users_at(crash.seen, domain) == []


def _customer_unrecorded(crash: Crash) -> None:
    domain = "crashpartner.com"
    assert len(tenants_for(crash.seen, domain)) == 1
    assert not created(crash.lines, "M365Tenant", domain)


SCENARIOS = [
    Scenario("tenant-recorded-before-any-mailbox", "crashtenant.com",
             lambda lines, _state: created(lines, "M365Tenant", "crashtenant.com"), _tenant_no_mailbox),
    Scenario("users-created-mailboxes-provisioning", "crashmailbox.com",
             lambda _lines, state: len(users_at(state, "crashmailbox.com")) >= 1, _mailboxes_in_flight,
             mailbox_delay_s=5.0, plain_refresh_first=True,
             # the users and licences are one $batch and Mailbox create returns with its answer: hold Graph's
             # answers so the kill lands after the users exist and before any Mailbox create is recorded
             latency=("graph", 1000), latency_knob="answer_latency_ms"),
    Scenario("dkim-signing-config-created-not-enabled", "crashdkim.com",
             lambda _lines, state: dkim_of(state, "crashdkim.com") is not None, _dkim_started,
             latency=("exchange", 1500)),
    Scenario("customer-created-tenant-not-recorded", "crashpartner.com",
             lambda lines, state: bool(tenants_for(state, "crashpartner.com"))
             and not created(lines, "M365Tenant", "crashpartner.com"), _customer_unrecorded,
             latency=("partner_center", 1000)),
]


@pytest.fixture
def mailbox_delay(sandbox: Any) -> Iterator[Callable[[float], Any]]:
    before = sandbox.admin_state()["world"]["mailbox_provisioning_delay_s"]
    yield sandbox.set_mailbox_delay
    sandbox.set_mailbox_delay(before)


# -- convergence -----------------------------------------------------------------------------------------------------


def _norm(rdtype: str, value: str) -> str:
    return value if rdtype == "TXT" else value.strip().rstrip(".").lower()


def assert_converged(sandbox: Any, project: Path, domain: str, orders_before: int) -> None:
    checkpoint = read_checkpoint(project)
    assert not checkpoint.get("pending_operations")
    resources = {(r["type"].rsplit(":", 1)[-1], r["urn"].rsplit("::", 1)[-1]): r for r in checkpoint["resources"]}
    tenant_id = resources[("M365Tenant", domain)]["outputs"]["tenant_id"]
    boxes = {name: r["id"] for (kind, name), r in resources.items() if kind == "Mailbox"}
    assert sorted(boxes) == [f"{domain}/{x}" for x in LOCALS]
    state = sandbox.admin_state()

    # One tenant: the stack's, the only customer with this prefix and the only tenant holding the domain.
    [tenant] = tenants_for(state, domain)
    assert tenant["id"] == tenant_id
    assert [t["id"] for t in state["world"]["tenants"].values() if domain in t["domains"]] == [tenant_id]
    assert sorted(tenant["domains"]) == sorted([tenant["initial_domain"], domain])
    assert len(tenant["orders"]) == 1 and [s["quantity"] for s in tenant["subscriptions"]] == [len(LOCALS)]

    # Exactly the stack's mailboxes, no duplicates, no leftovers (the admin is the tenant's own).
    users = list(tenant["users"].values())
    ours = [u for u in users if u["extension_attributes"].get("extensionAttribute15") == MARKER]
    assert sorted(u["user_principal_name"] for u in ours) == [f"{x}@{domain}" for x in LOCALS]
    assert sorted(u["id"] for u in ours) == sorted(boxes.values())
    assert all(u["user_principal_name"].endswith("@" + tenant["initial_domain"]) for u in users if u not in ours)
    assert tenant["deleted_users"] == {}
    assert all(u["assigned_licenses"] and u["mailbox_ready_at"] for u in ours)
    assert tenant["dkim"][domain]["enabled"] is True

    # DNS: every record the stack published is at BIND once, and the zone holds nothing else.
    records = resources[("AuthRecords", domain)]["outputs"]["records"]
    records = records + list(resources.get(("WebRecords", domain), {}).get("outputs", {}).get("records") or [])
    for rec in records:
        live = sandbox.dns_query(rec["name"], rec["type"])
        assert len(live) == len(set(live)), f"duplicate values at {rec['name']} {rec['type']}: {live}"
        assert sorted(_norm(rec["type"], v) for v in live) == sorted(_norm(rec["type"], v) for v in rec["values"])
    [zone] = [z for z in state["state"]["cloudflare"]["zones"] if z["name"] == domain]
    zone_records = [(r["name"], r["type"], r["content"]) for r in zone["records"] if r["type"] not in ("NS", "SOA")]
    assert len(zone_records) == len(set(zone_records))
    assert {(n, t) for n, t, _ in zone_records} == {(r["name"], r["type"]) for r in records}

    # One registration, bought once (a replayed order is not a new one).
    assert [d["domainName"] for d in state["state"]["namecom"]["domains"]].count(domain) == 1
    assert namecom_orders(state) - orders_before == 1


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_killed_up_converges_after_cancel_refresh_up(
    sandbox: Any, tmp_path: Path, scenario: Scenario, mailbox_delay: Callable[[float], Any]
) -> None:
    project = make_project(tmp_path / "project", scenario.domain, sandbox)
    orders_before = namecom_orders(sandbox.admin_state())
    mailbox_delay(scenario.mailbox_delay_s)
    if scenario.latency:
        double, ms = scenario.latency
        sandbox.set_faults(double, **{scenario.latency_knob: ms})

    started = time.monotonic()
    crash = crash_up(project, sandbox, scenario.when)
    killed_after = time.monotonic() - started
    scenario.at_crash(crash)
    assert len(crash.groups) >= 2  # the plugin ran in its own process group and was killed with the rest
    assert processes_in(project.resolve()) == []  # nothing of the run survived

    sandbox.reset_faults()
    mailbox_delay(0.5)
    started = time.monotonic()
    refused = coldfleet(project, sandbox.dir, "up", "--stack", "dev", "--yes", check=False)
    assert refused.returncode != 0 and "coldfleet cancel --stack dev" in refused.stderr
    coldfleet(project, sandbox.dir, "cancel", "--stack", "dev", "--yes")
    pending = [op["resource"]["urn"].rsplit("::", 1)[-1] for op in
               read_checkpoint(project).get("pending_operations") or []]
    if scenario.plain_refresh_first:
        # The engine keeps pending creates through a non-interactive refresh (it only clears them when asked).
        assert len(pending) == len(LOCALS)
        coldfleet(project, sandbox.dir, "refresh", "--stack", "dev", "--yes")
        assert len(read_checkpoint(project).get("pending_operations") or []) == len(pending)
    coldfleet(project, sandbox.dir, "refresh", "--stack", "dev", "--yes", "--clear-pending-creates")
    assert not read_checkpoint(project).get("pending_operations")
    up = coldfleet(project, sandbox.dir, "up", "--stack", "dev", "--yes")
    assert "pending operations" not in up.stdout
    coldfleet(project, sandbox.dir, "preview", "--stack", "dev", "--expect-no-changes")
    assert_converged(sandbox, project, scenario.domain, orders_before)

    # What the killed run had made was adopted, not made again.
    final = sandbox.admin_state()
    assert [t["id"] for t in tenants_for(crash.seen, scenario.domain)] <= [t["id"] for t in
                                                                          tenants_for(final, scenario.domain)]
    assert {u["id"] for u in users_at(crash.seen, scenario.domain)} <= {u["id"] for u in
                                                                        users_at(final, scenario.domain)}
    log.info("%s: killed after %.1fs (%d process groups), pending at the kill: %s; recovered in %.1fs",
             scenario.name, killed_after, len(crash.groups), pending or "none", time.monotonic() - started)
