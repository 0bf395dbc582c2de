"""Two clients' stacks side by side on the engine's own PostgreSQL backend (`PULUMI_BACKEND_URL=postgres://...`).

Both stacks live in one project directory and one database, yet each has its own state and its own inventory. The
test reads the engine's `pulumi_state` table with psql, so it proves the engine (not a file, not our code) holds the
state.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.engine import PROJECT, REPO_ROOT, engine_bin
from sandbox.postgres import Postgres

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENTS = {"acme2": "tryacme2.com", "globex": "meetglobex.com"}
MAILBOXES = {"acme2": 1, "globex": 2}


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with Postgres() as server:
        yield server


@pytest.fixture(scope="module")
def env(postgres: Postgres, sandbox: Any) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "PULUMI_BACKEND_URL": postgres.url,
        "PULUMI_CONFIG_PASSPHRASE": "test",
        "COLDFLEET_SANDBOX_DIR": str(sandbox.dir),
    }


def coldfleet(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"coldfleet {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def both(project: Path, env: dict[str, str], command: str, *args: str) -> dict[str, str]:
    """Run one command for both stacks at once: two clients' pipelines sharing one backend."""
    procs = {
        client: subprocess.Popen(
            [sys.executable, "-m", "cli", command, "--stack", client, *args, "--project-dir", str(project)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for client in CLIENTS
    }
    out: dict[str, str] = {}
    failures = []
    for client, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=900)
        out[client] = stdout
        if proc.returncode != 0:
            failures.append(f"{command} --stack {client} failed ({proc.returncode}):\n{stdout}\n{stderr}")
    assert not failures, "\n".join(failures)
    return out


def stack_states(postgres: Postgres) -> dict[str, dict[str, Any]]:
    """The engine's checkpoints by stack name, straight from its own table."""
    rows = postgres.psql(f"SELECT key, data::text FROM pulumi_state WHERE key LIKE '%/.pulumi/stacks/{PROJECT}/%.json'")
    return {key.rsplit("/", 1)[1].removesuffix(".json"): decode(data) for key, data in rows}


def decode(data: str) -> dict[str, Any]:
    """A row's `data`: the checkpoint file's bytes, base64 in a JSON object (`{"data": "..."}`)."""
    value = json.loads(data)
    if isinstance(value, dict) and isinstance(value.get("data"), str):
        value = json.loads(base64.b64decode(value["data"]))
    return dict(value)


def resources(checkpoint: dict[str, Any]) -> list[dict[str, Any]]:
    deployment = (checkpoint.get("checkpoint") or checkpoint).get("latest") or {}
    return list(deployment.get("resources") or [])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    engine_bin()
    directory = tmp_path_factory.mktemp("pg-project")
    shutil.copy(REPO_ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    for client, domain in CLIENTS.items():
        coldfleet(
            directory, env, "new-client", client, "--primary-domain", f"{client}.com", "--domain", domain, "--sandbox"
        )
        path = directory / f"Pulumi.{client}.yaml"
        document = yaml.safe_load(path.read_text())
        document["config"]["coldfleet:fleet"]["defaults"]["mailboxes"] = MAILBOXES[client]
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


@pytest.fixture(scope="module")
def provisioned(sandbox: Any, project: Path, env: dict[str, str]) -> Iterator[dict[str, Any]]:
    sandbox.set_mailbox_delay(0.2)
    up = both(project, env, "up", "--yes")
    assert all("Outputs:" in text for text in up.values())
    outputs = {client: json.loads(coldfleet(project, env, "outputs", "--stack", client).stdout) for client in CLIENTS}
    destroyed: set[str] = set()
    yield {"outputs": outputs, "destroyed": destroyed}
    for client in set(CLIENTS) - destroyed:  # a failed test must not leave mailboxes in the shared sandbox
        subprocess.run(
            [sys.executable, "-m", "cli", "destroy", "--stack", client, "--yes", "--project-dir", str(project)],
            env=env,
            capture_output=True,
            timeout=900,
        )


def test_preview_after_up_has_no_changes(project: Path, env: dict[str, str], provisioned: dict[str, Any]) -> None:
    out = both(project, env, "preview", "--expect-no-changes")
    assert all("unchanged" in text for text in out.values())


def test_engine_keeps_both_stacks_in_postgres(postgres: Postgres, project: Path, provisioned: dict[str, Any]) -> None:
    columns = postgres.psql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'pulumi_state' ORDER BY column_name"
    )
    assert {"key", "data"} <= {row[0] for row in columns}
    states = stack_states(postgres)
    assert set(CLIENTS) <= set(states)
    for client, domain in CLIENTS.items():
        text = json.dumps(states[client])
        assert any(r["type"].endswith(":Mailbox") for r in resources(states[client])), client
        assert domain in text
        assert all(other not in text for other in CLIENTS.values() if other != domain), client
    # Nothing went to the file backend.
    state_dir = project / ".state"
    assert not state_dir.exists() or not any(p.is_file() for p in state_dir.rglob("*"))


def test_clients_are_kept_apart(provisioned: dict[str, Any]) -> None:
    for client, domain in CLIENTS.items():
        inventory = provisioned["outputs"][client]["inventory"]
        assert set(inventory) == {domain}, client
        assert len(inventory[domain]["mailboxes"]) == MAILBOXES[client]
        assert all(box["email"].endswith(f"@{domain}") for box in inventory[domain]["mailboxes"])
    tenants = {provisioned["outputs"][c]["inventory"][d]["tenant_id"] for c, d in CLIENTS.items()}
    assert len(tenants) == 2


def test_destroy_both_empties_their_state(
    postgres: Postgres, project: Path, env: dict[str, str], provisioned: dict[str, Any]
) -> None:
    both(project, env, "destroy", "--yes")
    provisioned["destroyed"].update(CLIENTS)
    states = stack_states(postgres)
    for client in CLIENTS:
        assert [r for r in resources(states[client]) if r["type"].endswith(":Mailbox")] == [], client
