"""A state written by the old flat provider modules still works with the code as it is now.

The engine stores each dynamic resource's provider pickled by reference (`providers.mailbox.MailboxProvider`, ...).
`fixtures/old_layout_state.json` was exported from a stack `up`-ed with the flat modules (the commit is in
`fixtures/old_layout_stack.yaml`); the stored providers must unpickle under their old paths, and imported into a
fresh stack the state must preview with no changes to its resources (diff compares inputs without calling any API;
the creates are the DomainMailboxes and the WebRecords the current layout adds per domain).

Destroy: the SendingDomain and AuthRecords of that state are destroyed by their stored (old-path) providers with the
new code, and delete tolerates what is gone (this sandbox never held the old zone or tenant). The Mailbox and
M365Tenant are left out of that stack: a token request for a tenant that does not exist fails authentication, which
delete rightly does not take for "gone".
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import dill
import pytest
import yaml
from pulumi import automation as auto

from cli.engine import open_stack, target

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURES = Path(__file__).parent / "fixtures"
STATE = FIXTURES / "old_layout_state.json"
STACK = FIXTURES / "old_layout_stack.yaml"
OLD_PROVIDERS = {
    "SendingDomain": "providers.sending_domain",
    "M365Tenant": "providers.m365_tenant",
    "AuthRecords": "providers.auth_records",
    "Mailbox": "providers.mailbox",
}


def stored_blob(resource: dict[str, Any]) -> bytes:
    return base64.b64decode(json.loads(resource["inputs"]["__provider"]["plaintext"]))


def without(deployment: dict[str, Any], kinds: set[str]) -> dict[str, Any]:
    """The deployment without the resources of `kinds`, and without every reference to them."""
    gone = {r["urn"] for r in deployment["resources"] if r["type"].rsplit(":", 1)[1] in kinds}
    kept = []
    for resource in deployment["resources"]:
        if resource["urn"] in gone:
            continue
        resource = dict(resource)
        resource["dependencies"] = [u for u in resource.get("dependencies") or [] if u not in gone]
        resource["propertyDependencies"] = {k: [u for u in v if u not in gone]
                                            for k, v in (resource.get("propertyDependencies") or {}).items()}
        kept.append(resource)
    return {**deployment, "resources": kept}


def engine_env(sandbox: Any) -> dict[str, str]:
    """How the e2e tests point the engine at the session sandbox (the same as the other e2e modules)."""
    return {"COLDFLEET_SANDBOX_DIR": str(sandbox.dir), "COLDFLEET_SETTINGS_FILE": str(sandbox.settings_file)}


def write_stack_file(project: Path, old: dict[str, Any]) -> None:
    """The e2e project's sandbox stack config with the old stack's fleet and salt (so its secrets decrypt)."""
    path = project / "Pulumi.dev.yaml"
    stack = yaml.safe_load(path.read_text())
    stack["encryptionsalt"] = old["encryptionsalt"]
    stack["config"]["coldfleet:fleet"] = old["fleet"]
    path.write_text(yaml.safe_dump(stack, sort_keys=False))


@pytest.fixture(scope="module")
def old_stack(sandbox: Any, project_dir: Path, pytest_monkeypatch: pytest.MonkeyPatch) -> auto.Stack:
    old = yaml.safe_load(STACK.read_text())
    pytest_monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", old["passphrase"])
    write_stack_file(project_dir, old)
    stack = open_stack(target("dev", project_dir), extra_env=engine_env(sandbox))
    stack.import_stack(auto.Deployment(version=3, deployment=json.loads(STATE.read_text())))
    return stack


@pytest.fixture(scope="module")
def pytest_monkeypatch() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def stored_provider_modules(deployment: dict[str, Any]) -> dict[str, set[str]]:
    """Resource kind → the module paths its stored `__provider` pickles name."""
    found: dict[str, set[str]] = {}
    for resource in deployment["resources"]:
        if not resource["type"].startswith("pulumi-python:dynamic/"):
            continue
        blob = stored_blob(resource)
        names = {m.decode() for m in re.findall(rb"providers\.[a-z_0-9.]+", blob)}
        found.setdefault(resource["type"].rsplit(":", 1)[1], set()).update(names)
    return found


def test_fixture_pickles_the_old_module_paths() -> None:
    """The fixture really is old: every provider blob names a flat module path, and that path still resolves."""
    found = stored_provider_modules(json.loads(STATE.read_text()))
    assert found == {kind: {module} for kind, module in OLD_PROVIDERS.items()}
    for kind, module in OLD_PROVIDERS.items():
        provider = getattr(importlib.import_module(module), f"{kind}Provider")
        resource = getattr(importlib.import_module(module), kind)
        assert provider.__name__ == f"{kind}Provider" and resource.__name__ == kind


def test_stored_providers_unpickle_as_the_engine_does() -> None:
    """The provider server loads `__provider` with dill; each old blob yields the face's class."""
    for resource in json.loads(STATE.read_text())["resources"]:
        if resource["type"].startswith("pulumi-python:dynamic/"):
            kind = resource["type"].rsplit(":", 1)[1]
            provider = dill.loads(stored_blob(resource))
            assert type(provider) is getattr(importlib.import_module(OLD_PROVIDERS[kind]), f"{kind}Provider")


def test_old_state_previews_with_no_changes(sandbox: Any, old_stack: auto.Stack) -> None:
    ops: dict[str, str] = {}

    def on_event(event: auto.events.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.type.startswith("pulumi-python:dynamic/"):
            ops[pre.metadata.urn] = str(pre.metadata.op.value)

    before = sandbox.admin_state()["requests"]
    result = old_stack.preview(on_event=on_event)
    # The state's five resources are unchanged; the upgrade adds the domain's DomainMailboxes (the one wait for its
    # mailboxes, which the old layout did not have), whose first `up` only reads back the finished mailboxes, and its
    # WebRecords (forwarding is on by default), a resource of its own so no existing input changes.
    new = (":DomainMailboxes::", ":WebRecords::")
    old = {urn: op for urn, op in ops.items() if not any(kind in urn for kind in new)}
    assert len(old) == 5 and set(old.values()) == {"same"}, ops
    assert sorted(op for urn, op in ops.items() if urn not in old) == ["create", "create"], ops
    summary = {getattr(op, "value", op): n for op, n in result.change_summary.items()}
    assert set(summary) == {"same", "create"} and summary["create"] == 2, ops
    assert sandbox.admin_state()["requests"] == before  # the diff asked no API


def test_old_domain_and_records_destroy_with_the_new_code(sandbox: Any, project_dir: Path,
                                                           tmp_path_factory: pytest.TempPathFactory,
                                                           old_stack: auto.Stack) -> None:
    project = tmp_path_factory.mktemp("old-destroy")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(project_dir / name, project / name)  # old_stack wrote the old salt and fleet there
    stack = open_stack(target("dev", project), extra_env=engine_env(sandbox))
    deployment = without(json.loads(STATE.read_text()), {"Mailbox", "M365Tenant"})
    stack.import_stack(auto.Deployment(version=3, deployment=deployment))
    result = stack.destroy()
    assert result.summary.result == "succeeded"
    changes = {getattr(op, "value", op): n for op, n in (result.summary.resource_changes or {}).items()}
    assert changes.get("delete", 0) >= 2
    left = [r["type"] for r in dict(stack.export_stack().deployment or {}).get("resources") or []]
    assert not any(kind.startswith("pulumi-python:dynamic/") for kind in left), left
