"""`coldfleet up` of a 3-domain fleet SIGKILLed as a whole at seeded random moments, then recovered, converges.

tests/e2e/test_crash_recovery.py kills at chosen points; here the moment is drawn from a seeded RNG (uniform over the
run's usual length), so the kill lands wherever it lands: mid-request, between a write and its state record, in the
engine's own bookkeeping. Recovery is the user's: `cancel` → `refresh --clear-pending-creates` → `up` →
`preview --expect-no-changes`; then the doubles are counted: per domain one customer tenant, one order, one
subscription with the declared seats, exactly the declared mailboxes (by our marker) and no deleted ones, each DNS
record once, one registration. CI runs KILL_SEEDS; `scripts/kill-moments` runs 20 (or as many as asked).
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cli.engine import REPO_ROOT
from tests.e2e.test_crash_recovery import (
    LOCALS,
    MARKER,
    cli_env,
    coldfleet,
    kill_session,
    namecom_orders,
    processes_in,
    read_checkpoint,
    tenants_for,
    users_at,
)
from tests.e2e.test_faults import fleet_project

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
log = logging.getLogger(__name__)

KILL_SEEDS = [int(s) for s in os.environ.get("COLDFLEET_KILL_SEEDS", "1,2,3,4,5").split(",") if s]
WINDOW_S = (1.0, 12.0)  # a 3-domain `up` in the sandbox ends after 13-21 s on 2 cores: the draw stays inside it


def up_killed_at(project: Path, sandbox: Any, after_s: float) -> tuple[bool, list[str]]:
    """Start `up` in a new session and SIGKILL the whole session `after_s` seconds later; (killed, output lines)."""
    cmd = [sys.executable, "-u", "-m", "cli", "up", "--stack", "dev", "--yes", "--project-dir", str(project)]
    proc = subprocess.Popen(cmd, env=cli_env(sandbox.dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, cwd=str(REPO_ROOT))
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(stdout), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=after_s)
        killed = False
    except subprocess.TimeoutExpired:
        killed = True
    finally:
        kill_session(proc.pid)
        proc.wait()
        reader.join(timeout=10)
        stdout.close()
    return killed, lines


def count_domain(state: dict[str, Any], domain: str) -> list[str]:
    """What is wrong at the doubles for one domain (duplicates, orphans); [] when exactly one of everything."""
    problems = []
    tenants = tenants_for(state, domain)
    if len(tenants) != 1:
        return [f"{domain}: {len(tenants)} customer tenants"]
    [tenant] = tenants
    if len(tenant["orders"]) != 1 or [s["quantity"] for s in tenant["subscriptions"]] != [len(LOCALS)]:
        problems.append(f"{domain}: orders {len(tenant['orders'])}, subscriptions "
                        f"{[s['quantity'] for s in tenant['subscriptions']]}")
    ours = sorted(u["user_principal_name"] for u in users_at(state, domain)
                  if u["extension_attributes"].get("extensionAttribute15") == MARKER)
    if ours != [f"{x}@{domain}" for x in LOCALS]:
        problems.append(f"{domain}: users {ours}")
    if tenant["deleted_users"]:
        problems.append(f"{domain}: deleted users {list(tenant['deleted_users'])}")
    holders = [t["id"] for t in state["world"]["tenants"].values() if domain in t["domains"]]
    if holders != [tenant["id"]]:
        problems.append(f"{domain}: held by tenants {holders}")
    zones = [z for z in state["state"]["cloudflare"]["zones"] if z["name"] == domain]
    if len(zones) != 1:
        problems.append(f"{domain}: {len(zones)} zones")
    else:
        recs = [(r["name"], r["type"], r["content"]) for r in zones[0]["records"] if r["type"] not in ("NS", "SOA")]
        if len(recs) != len(set(recs)):
            problems.append(f"{domain}: duplicate records {sorted(recs)}")
    if [d["domainName"] for d in state["state"]["namecom"]["domains"]].count(domain) != 1:
        problems.append(f"{domain}: registration count")
    return problems


def kill_and_recover(sandbox: Any, workdir: Path, seed: int) -> float:
    """One moment: kill `up` at the seed's moment, recover, assert convergence; the moment in seconds."""
    moment = random.Random(seed).uniform(*WINDOW_S)  # noqa: S311 - a test's draw, not a secret
    domains = [f"kill{seed}{c}.com" for c in "abc"]
    project = fleet_project(workdir / f"kill{seed}", sandbox, domains)
    orders_before = namecom_orders(sandbox.admin_state())
    killed, lines = up_killed_at(project, sandbox, moment)
    assert processes_in(project.resolve()) == []
    log.info("seed %d: %s at %.1fs", seed, "killed" if killed else "up had ended", moment)
    if killed:
        coldfleet(project, sandbox.dir, "cancel", "--stack", "dev", "--yes", check=False)  # no lock if none taken
        coldfleet(project, sandbox.dir, "refresh", "--stack", "dev", "--yes", "--clear-pending-creates")
    coldfleet(project, sandbox.dir, "up", "--stack", "dev", "--yes")
    coldfleet(project, sandbox.dir, "preview", "--stack", "dev", "--expect-no-changes")
    assert not read_checkpoint(project).get("pending_operations")
    state = sandbox.admin_state()
    problems = [p for d in domains for p in count_domain(state, d)]
    assert problems == [], f"seed {seed} (kill at {moment:.1f}s):\n" + "\n".join(problems) + "\n" + "".join(lines)
    assert namecom_orders(state) - orders_before == len(domains)
    return moment


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_killed_at_a_random_moment_converges(sandbox: Any, tmp_path: Path, seed: int) -> None:
    sandbox.set_mailbox_delay(0.5)
    started = time.monotonic()
    kill_and_recover(sandbox, tmp_path, seed)
    log.info("seed %d: %.1fs in all", seed, time.monotonic() - started)
