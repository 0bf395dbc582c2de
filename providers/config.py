"""Provider settings: endpoints and credentials, read in `configure()` from stack config, then the environment.

The settings live in this module (set once per provider process), never on a provider instance: the engine pickles
provider instances by value into state, and secrets must not travel with them.

Sandbox mode (`coldfleet:sandbox: true` or `COLDFLEET_SANDBOX_DIR`) fills every endpoint and credential from the
running sandbox's `sandbox.json`; explicit config still wins.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_SANDBOX_DIR = Path.home() / ".local" / "state" / "coldfleet" / "sandbox"


@dataclass(frozen=True)
class Settings:
    login_endpoint: str = "https://login.microsoftonline.com"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    exchange_endpoint: str = "https://outlook.office365.com"
    partner_endpoint: str = "https://api.partnercenter.microsoft.com/v1"
    cloudflare_endpoint: str = "https://api.cloudflare.com/client/v4"
    namecom_endpoint: str = "https://api.name.com"
    ca_bundle: str | None = None  # extra CA to trust (the sandbox's)
    partner_tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    cloudflare_api_token: str | None = None
    cloudflare_account_id: str | None = None
    namecom_username: str | None = None
    namecom_token: str | None = None
    rfc2136_server: str | None = None  # host:port
    tsig_key_name: str | None = None
    tsig_secret: str | None = None
    tsig_algorithm: str = "hmac-sha256"
    # Where "the authoritative servers" are asked; None = resolve the zone's NS names.
    authoritative_server: str | None = None  # host:port
    poll_timeout_s: float = 600.0
    poll_interval_s: float = 2.0
    purge_deleted_users: bool = False
    sandbox_dir: str | None = None

    def __repr__(self) -> str:  # never print secrets
        return "Settings(" + ", ".join(
            f"{f.name}={'***' if f.name in SECRET_FIELDS and getattr(self, f.name) else getattr(self, f.name)!r}"
            for f in fields(self)
        ) + ")"


SECRET_FIELDS = frozenset({"client_secret", "cloudflare_api_token", "namecom_token", "tsig_secret"})

# stack config key (in the `coldfleet` namespace unless it has a colon) -> (field, environment variable)
CONFIG_KEYS: dict[str, tuple[str, str]] = {
    "loginEndpoint": ("login_endpoint", "COLDFLEET_LOGIN_ENDPOINT"),
    "graphEndpoint": ("graph_endpoint", "COLDFLEET_GRAPH_ENDPOINT"),
    "exchangeEndpoint": ("exchange_endpoint", "COLDFLEET_EXCHANGE_ENDPOINT"),
    "partnerEndpoint": ("partner_endpoint", "COLDFLEET_PARTNER_ENDPOINT"),
    "cloudflareEndpoint": ("cloudflare_endpoint", "COLDFLEET_CLOUDFLARE_ENDPOINT"),
    "namecomEndpoint": ("namecom_endpoint", "COLDFLEET_NAMECOM_ENDPOINT"),
    "caBundle": ("ca_bundle", "COLDFLEET_CA_BUNDLE"),
    "partnerTenantId": ("partner_tenant_id", "AZURE_TENANT_ID"),
    "clientId": ("client_id", "AZURE_CLIENT_ID"),
    "clientSecret": ("client_secret", "AZURE_CLIENT_SECRET"),
    "cloudflare:apiToken": ("cloudflare_api_token", "CLOUDFLARE_API_TOKEN"),
    "cloudflareAccountId": ("cloudflare_account_id", "CLOUDFLARE_ACCOUNT_ID"),
    "namecomUsername": ("namecom_username", "NAMECOM_USERNAME"),
    "namecomToken": ("namecom_token", "NAMECOM_TOKEN"),
    "rfc2136Server": ("rfc2136_server", "COLDFLEET_RFC2136_SERVER"),
    "tsigKeyName": ("tsig_key_name", "COLDFLEET_TSIG_KEY_NAME"),
    "tsigSecret": ("tsig_secret", "COLDFLEET_TSIG_SECRET"),
    "tsigAlgorithm": ("tsig_algorithm", "COLDFLEET_TSIG_ALGORITHM"),
    "authoritativeServer": ("authoritative_server", "COLDFLEET_AUTHORITATIVE_SERVER"),
    "pollTimeout": ("poll_timeout_s", "COLDFLEET_POLL_TIMEOUT"),
    "pollInterval": ("poll_interval_s", "COLDFLEET_POLL_INTERVAL"),
    "purgeDeletedUsers": ("purge_deleted_users", "COLDFLEET_PURGE_DELETED_USERS"),
}

_lock = threading.Lock()
_current: Settings | None = None


def _coerce(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if "float" in str(kind):
        return float(raw)
    if "bool" in str(kind):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def sandbox_settings(sandbox_dir: str | Path) -> Settings:
    """Settings that point every client at a running sandbox (its `sandbox.json`)."""
    info = json.loads((Path(sandbox_dir) / "sandbox.json").read_text())
    ep, cred, dns = info["endpoints"], info["credentials"], info["dns"]
    server = f"{dns['server']}:{dns['port']}"
    return Settings(
        login_endpoint=ep["login"],
        graph_endpoint=ep["graph"],
        exchange_endpoint=ep["exchange"],
        partner_endpoint=ep["partner"],
        cloudflare_endpoint=ep["cloudflare"],
        namecom_endpoint=ep["namecom"],
        ca_bundle=info["ca_cert"],
        partner_tenant_id=cred["partner_tenant_id"],
        client_id=cred["client_id"],
        client_secret=cred["client_secret"],
        cloudflare_api_token=cred["cloudflare_api_token"],
        cloudflare_account_id=cred["cloudflare_account_id"],
        namecom_username=cred["namecom_username"],
        namecom_token=cred["namecom_token"],
        rfc2136_server=server,
        tsig_key_name=dns["tsig_key_name"],
        tsig_secret=dns["tsig_secret"],
        tsig_algorithm=dns.get("tsig_algorithm", "hmac-sha256"),
        authoritative_server=server,
        poll_timeout_s=60.0,
        poll_interval_s=0.2,
        purge_deleted_users=True,
        sandbox_dir=str(sandbox_dir),
    )


def from_sources(get: Callable[[str], str | None], env: dict[str, str] | None = None) -> Settings:
    """Build settings from a config getter (`req.config.get`) with environment fallback."""
    env = dict(os.environ) if env is None else env
    base = Settings()
    sandbox_flag = (get("sandbox") or "").lower() in {"1", "true", "yes"}
    sandbox_dir = get("sandboxDir") or env.get("COLDFLEET_SANDBOX_DIR")
    if sandbox_flag or sandbox_dir:
        base = sandbox_settings(sandbox_dir or DEFAULT_SANDBOX_DIR)
    overrides: dict[str, Any] = {}
    for key, (name, env_name) in CONFIG_KEYS.items():
        raw = get(key)
        if raw is None and not (sandbox_flag or sandbox_dir):
            raw = env.get(env_name)
        if raw is not None and raw != "":
            overrides[name] = _coerce(name, raw)
    return replace(base, **overrides)


def load(get: Callable[[str], str | None], env: dict[str, str] | None = None) -> Settings:
    """Called from every provider's `configure()`; the settings become `current()` for this process."""
    global _current
    settings = from_sources(get, env)
    with _lock:
        _current = settings
    return settings


def current() -> Settings:
    """The settings of this provider process (environment only when `configure()` never ran, e.g. in tests)."""
    global _current
    with _lock:
        if _current is None:
            _current = from_sources(lambda _key: None)
        return _current


def use(settings: Settings) -> None:
    """Set the process settings directly (tests, the CLI's pre-flight checks)."""
    global _current
    with _lock:
        _current = settings
