"""What a running sandbox tells its users: DIR/sandbox.json (its own file: instance, pid, admin endpoint, the
credentials it seeded) and DIR/settings.json (the product's settings-file format, which a stack names with
`coldfleet:settingsFile`). Both mode 0600: they hold the sandbox's secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sandbox.bind import NAMESERVERS, Bind
from sandbox.persist import atomic_write

INFO_FILE = "sandbox.json"
SETTINGS_FILE = "settings.json"
PORTS_FILE = "ports.json"
CREDENTIALS = ("partner_tenant_id", "client_id", "client_secret", "cloudflare_api_token", "cloudflare_account_id",
               "namecom_username", "namecom_token", "instantly_api_key", "smartlead_api_key", "emailbison_api_key")

# double name -> its endpoint's key in sandbox.json; the base path of the APIs that have one
DOUBLES = {"identity": "login", "graph": "graph", "exchange": "exchange", "partner_center": "partner",
           "cloudflare": "cloudflare", "namecom": "namecom", "instantly": "instantly", "smartlead": "smartlead",
           "emailbison": "emailbison"}
BASE_PATHS = {"graph": "/v1.0", "partner_center": "/v1", "cloudflare": "/client/v4", "instantly": "/api/v2",
              "smartlead": "/api/v1", "emailbison": "/api"}

# Short waits suit a world that answers in milliseconds; deleted users are purged so names can be reused at once.
SANDBOX_TUNING = {"pollTimeout": 60.0, "pollInterval": 0.2, "purgeDeletedUsers": True}


def build_info(instance: str, directory: Path, ports: dict[str, int], credentials: dict[str, str], bind: Bind,
               ca_cert: Path) -> dict[str, Any]:
    endpoints = {key: f"https://127.0.0.1:{ports[name]}{BASE_PATHS.get(name, '')}" for name, key in DOUBLES.items()}
    endpoints["admin"] = f"http://127.0.0.1:{ports['admin']}"
    return {
        "instance": instance,
        "pid": os.getpid(),
        "dir": str(directory),
        "ca_cert": str(ca_cert),
        "endpoints": endpoints,
        "dns": {"server": "127.0.0.1", "port": bind.port, "tsig_key_name": bind.tsig_key_name,
                "tsig_secret": bind.tsig_secret, "tsig_algorithm": "hmac-sha256", "nameservers": NAMESERVERS},
        "credentials": {key: credentials[key] for key in CREDENTIALS},
    }


def settings_document(info: dict[str, Any]) -> dict[str, Any]:
    """sandbox.json's endpoints and credentials under the product's stack-config keys (providers.config)."""
    ep, cred, dns = info["endpoints"], info["credentials"], info["dns"]
    server = f"{dns['server']}:{dns['port']}"
    return {
        "loginEndpoint": ep["login"],
        "graphEndpoint": ep["graph"],
        "exchangeEndpoint": ep["exchange"],
        "partnerEndpoint": ep["partner"],
        "cloudflareEndpoint": ep["cloudflare"],
        "namecomEndpoint": ep["namecom"],
        "caBundle": info["ca_cert"],
        "partnerTenantId": cred["partner_tenant_id"],
        "clientId": cred["client_id"],
        "clientSecret": cred["client_secret"],
        "cloudflare:apiToken": cred["cloudflare_api_token"],
        "cloudflareAccountId": cred["cloudflare_account_id"],
        "namecomUsername": cred["namecom_username"],
        "namecomToken": cred["namecom_token"],
        "rfc2136Server": server,
        "tsigKeyName": dns["tsig_key_name"],
        "tsigSecret": dns["tsig_secret"],
        "tsigAlgorithm": dns["tsig_algorithm"],
        "authoritativeServer": server,
        # The one BIND also serves the public names (sandbox.public_names): it stands in for a recursive resolver.
        "dnsResolver": server,
        "blocklistResolver": server,
        # Sequencer endpoints only: their API keys (sandbox.json) go in a stack's config as secrets, so a stack
        # hands mailboxes to a sequencer only when it says so.
        "instantlyEndpoint": ep["instantly"],
        "smartleadEndpoint": ep["smartlead"],
        "emailbisonEndpoint": ep["emailbison"],
        **SANDBOX_TUNING,
    }


def write(directory: Path, info: dict[str, Any], ports: dict[str, int]) -> None:
    """settings.json before sandbox.json: a sandbox that reports healthy always has its settings file."""
    atomic_write(directory / PORTS_FILE, json.dumps(ports).encode())
    atomic_write(directory / SETTINGS_FILE, json.dumps(settings_document(info), indent=2).encode())
    atomic_write(directory / INFO_FILE, json.dumps(info, indent=2).encode())


def remove(directory: Path) -> None:
    """At stop: a stack that names the settings file fails to read it rather than reach a dead sandbox's ports."""
    for name in (INFO_FILE, SETTINGS_FILE):
        (directory / name).unlink(missing_ok=True)
