"""The launcher: sandbox.json, the admin app, persistence across restarts, the daemon functions."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from azure.identity import ClientSecretCredential

from providers import config
from sandbox import info as info_files
from sandbox import server
from sandbox.handle import SandboxHandle

CREDENTIALS = {"partner_tenant_id", "client_id", "client_secret", "cloudflare_api_token", "cloudflare_account_id",
               "namecom_username", "namecom_token", "instantly_api_key", "smartlead_api_key",
               "emailbison_api_key"}


def test_sandbox_json_shape(sandbox: SandboxHandle) -> None:
    info = json.loads((sandbox.dir / "sandbox.json").read_text())
    assert set(info) == {"instance", "pid", "dir", "ca_cert", "endpoints", "dns", "credentials"}
    assert info["pid"] == sandbox.process.pid if sandbox.process else True
    assert info["dir"] == str(sandbox.dir) and Path(info["ca_cert"]) == sandbox.dir / "ca.pem"
    ep = info["endpoints"]
    assert set(ep) == {"login", "graph", "exchange", "partner", "cloudflare", "namecom", "instantly", "smartlead",
                       "emailbison", "admin"}
    for key, suffix in [("graph", "/v1.0"), ("partner", "/v1"), ("cloudflare", "/client/v4"),
                        ("instantly", "/api/v2"), ("smartlead", "/api/v1"), ("emailbison", "/api")]:
        assert ep[key].startswith("https://127.0.0.1:") and ep[key].endswith(suffix)
    assert ep["admin"].startswith("http://127.0.0.1:")
    ports = {url.split(":")[2].split("/")[0] for url in ep.values()}
    assert len(ports) == len(ep)
    assert info["dns"]["server"] == "127.0.0.1" and info["dns"]["tsig_algorithm"] == "hmac-sha256"
    assert info["dns"]["nameservers"] == ["ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test"]
    assert set(info["credentials"]) == CREDENTIALS and all(info["credentials"].values())
    assert stat.S_IMODE(os.stat(sandbox.dir / "sandbox.json").st_mode) == 0o600
    settings = config.from_file(sandbox.dir / "settings.json")
    assert settings.graph_endpoint == ep["graph"] and settings.ca_bundle == info["ca_cert"]


def test_settings_file_is_the_products_format(sandbox: SandboxHandle) -> None:
    """settings.json holds stack-config keys only (providers.config refuses any other), secrets included, 0600."""
    path = sandbox.dir / "settings.json"
    document = json.loads(path.read_text())
    assert set(document) <= set(config.CONFIG_KEYS)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    info, settings = sandbox.info, sandbox.settings
    assert settings.client_secret == info["credentials"]["client_secret"]
    assert settings.cloudflare_api_token == info["credentials"]["cloudflare_api_token"]
    assert settings.tsig_secret == info["dns"]["tsig_secret"]
    assert settings.rfc2136_server == settings.authoritative_server == f"127.0.0.1:{sandbox.dns_port}"
    assert (settings.poll_timeout_s, settings.poll_interval_s, settings.purge_deleted_users) == (60.0, 0.2, True)
    for key in ("login", "graph", "exchange", "partner", "cloudflare", "namecom"):
        assert getattr(settings, f"{key}_endpoint") == info["endpoints"][key]
    assert not (sandbox.dir / "settings.json").read_text().count("admin")  # the admin app stays the sandbox's own


def test_every_double_is_served_and_none_is_a_placeholder(sandbox: SandboxHandle) -> None:
    assert set(server.FACTORIES) == set(info_files.DOUBLES)
    assert sandbox.admin_state()["doubles"] == sorted(info_files.DOUBLES)
    with httpx.Client(verify=sandbox.ca_cert) as client:
        for key, url in sandbox.endpoints.items():
            assert client.get(url + "/").status_code != 501, key


def test_every_endpoint_answers_over_https_with_the_ca(sandbox: SandboxHandle) -> None:
    with httpx.Client(verify=sandbox.ca_cert) as client:
        for key, url in sandbox.endpoints.items():
            if key != "admin":
                assert client.get(url + "/").status_code < 600  # TLS handshake with the sandbox CA succeeded
        with pytest.raises(httpx.ConnectError):
            httpx.get(sandbox.endpoints["login"] + "/", verify=True)  # the public trust store does not know it


def test_partner_world_is_seeded(sandbox: SandboxHandle) -> None:
    world = sandbox.admin_state()["world"]
    creds = sandbox.credentials
    tenant = world["tenants"][creds["partner_tenant_id"]]
    assert tenant["initial_domain"].endswith(".onmicrosoft.com")
    app = world["apps"][creds["client_id"]]
    assert app["is_partner"] and app["home_tenant_id"] == creds["partner_tenant_id"]
    assert world["credentials"]["cloudflare_account_id"] == creds["cloudflare_account_id"]


def test_admin_zone_settings_and_state(sandbox: SandboxHandle) -> None:
    created = sandbox.add_zone("admin-made.example")
    assert created["nameservers"] == ["ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test"]
    assert sandbox.dns_query("admin-made.example", "NS") == created["nameservers"]
    assert "admin-made.example" in sandbox.admin_state()["zones"]
    assert sandbox.set_mailbox_delay(0.25) == {"mailbox_provisioning_delay_s": 0.25}
    assert sandbox.admin_state()["world"]["mailbox_provisioning_delay_s"] == 0.25
    sandbox.set_mailbox_delay(1.0)
    assert sandbox.admin.post("/settings", json={"tenants": {}}).status_code == 400
    assert sandbox.admin.post("/zones", json={}).status_code == 400


def _token(info: dict[str, object]) -> str:
    creds, ep = info["credentials"], info["endpoints"]
    assert isinstance(creds, dict) and isinstance(ep, dict)
    cred = ClientSecretCredential(creds["partner_tenant_id"], creds["client_id"], creds["client_secret"],
                                  authority=ep["login"], disable_instance_discovery=True,
                                  connection_verify=str(info["ca_cert"]))
    return cred.get_token("https://outlook.office365.com/.default").token


@pytest.mark.slow
def test_daemon_lifecycle_and_restart_keeps_world_and_zones(tmp_path: Path) -> None:
    directory = tmp_path / "sbx"
    assert server.status(directory) is None
    assert server.stop_daemon(directory) is False
    info = server.start_daemon(directory)
    try:
        assert server.start_daemon(directory)["instance"] == info["instance"]  # idempotent: reuses it
        assert server.status(directory) == info
        _token(info)
        httpx.post(info["endpoints"]["admin"] + "/zones", json={"name": "kept.example"}).raise_for_status()
        httpx.post(info["endpoints"]["admin"] + "/settings",
                   json={"mailbox_provisioning_delay_s": 3.5}).raise_for_status()
    finally:
        assert server.stop_daemon(directory) is True
    assert not (directory / "sandbox.json").exists()
    assert server.status(directory) is None
    assert (directory / "world.pkl").exists()
    named_pid = int((directory / "bind" / "named.pid").read_text()) if (directory / "bind" / "named.pid").exists() \
        else None
    assert named_pid is None or not Path(f"/proc/{named_pid}").exists()

    again = server.start_daemon(directory)
    try:
        assert again["instance"] != info["instance"]
        assert again["credentials"] == info["credentials"]
        assert again["dns"]["tsig_secret"] == info["dns"]["tsig_secret"]
        state = httpx.get(again["endpoints"]["admin"] + "/state").json()
        assert state["world"]["mailbox_provisioning_delay_s"] == 3.5
        assert [t["audience"] for t in state["world"]["tokens"]] == ["https://outlook.office365.com"]
        assert "kept.example" in state["zones"]
        handle = SandboxHandle(directory)
        assert handle.dns_query("kept.example", "NS") == ["ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test"]
        handle.admin.close()
        _token(again)  # the identity double still knows the app
    finally:
        server.stop_daemon(directory)
    assert "sandbox" in (directory / "sandbox.log").read_text()


def test_handle_start_and_stop_cleans_up(tmp_path: Path) -> None:
    with SandboxHandle.start(tmp_path / "h") as handle:
        assert handle.process is not None and handle.process.poll() is None
        proc = handle.process
    assert proc.poll() == 0
    assert not (tmp_path / "h" / "sandbox.json").exists()


def test_sandbox_stops_when_its_parent_dies(tmp_path: Path) -> None:
    """SandboxHandle.start ties the sandbox to its parent: a test run killed hard leaves no server behind."""
    directory = tmp_path / "orphan"
    script = ("import os, sys; from sandbox.handle import SandboxHandle; "
              f"h = SandboxHandle.start({str(directory)!r}); print(h.info['pid'], flush=True); os._exit(0)")
    env = {**os.environ, "PYTHONPATH": str(Path(server.__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()
    assert not (directory / "sandbox.json").exists()
