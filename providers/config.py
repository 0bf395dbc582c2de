"""Provider settings: endpoints and credentials, read in `configure()` from stack config, a settings file, then the
environment.

The settings live in this module (set once per provider process), never on a provider instance: the engine pickles
provider instances by value into state, and secrets must not travel with them.

A settings file (`coldfleet:settingsFile` or `COLDFLEET_SETTINGS_FILE`) is a JSON object keyed exactly like the stack
config (`CONFIG_KEYS`); it keeps endpoints and secrets out of the stack file. Precedence: stack config > settings file
> environment > defaults. Whoever runs a local world (the sandbox) writes such a file; this module knows nothing else
about it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    login_endpoint: str = "https://login.microsoftonline.com"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    exchange_endpoint: str = "https://outlook.office365.com"
    partner_endpoint: str = "https://api.partnercenter.microsoft.com/v1"
    cloudflare_endpoint: str = "https://api.cloudflare.com/client/v4"
    namecom_endpoint: str = "https://api.name.com"
    ca_bundle: str | None = None  # extra CA to trust (e.g. a local world's)
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
    # Provider calls that may wait side by side in one provider process (providers/threads.py; the SDK's is 4).
    provider_threads: int = 32
    # Recursive resolvers (host:port) for names coldfleet does not serve: SPF includes, DKIM key targets, report
    # authorisations (dns_resolver) and domain blocklists, which refuse public resolvers (blocklist_resolver,
    # else dns_resolver). None = the system's resolvers.
    dns_resolver: str | None = None
    blocklist_resolver: str | None = None
    instantly_endpoint: str = "https://api.instantly.ai/api/v2"
    instantly_api_key: str | None = None
    smartlead_endpoint: str = "https://server.smartlead.ai/api/v1"
    smartlead_api_key: str | None = None
    # EmailBison runs one instance per customer (e.g. https://dedi.emailbison.com/api): no default host.
    emailbison_endpoint: str | None = None
    emailbison_api_key: str | None = None

    def __repr__(self) -> str:  # never print secrets
        return "Settings(" + ", ".join(
            f"{f.name}={'***' if f.name in SECRET_FIELDS and getattr(self, f.name) else getattr(self, f.name)!r}"
            for f in fields(self)
        ) + ")"


SECRET_FIELDS = frozenset({"client_secret", "cloudflare_api_token", "namecom_token", "tsig_secret",
                           "instantly_api_key", "smartlead_api_key", "emailbison_api_key"})

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
    "providerThreads": ("provider_threads", "COLDFLEET_PROVIDER_THREADS"),
    "dnsResolver": ("dns_resolver", "COLDFLEET_DNS_RESOLVER"),
    "blocklistResolver": ("blocklist_resolver", "COLDFLEET_BLOCKLIST_RESOLVER"),
    "instantlyEndpoint": ("instantly_endpoint", "COLDFLEET_INSTANTLY_ENDPOINT"),
    "instantlyApiKey": ("instantly_api_key", "INSTANTLY_API_KEY"),
    "smartleadEndpoint": ("smartlead_endpoint", "COLDFLEET_SMARTLEAD_ENDPOINT"),
    "smartleadApiKey": ("smartlead_api_key", "SMARTLEAD_API_KEY"),
    "emailbisonEndpoint": ("emailbison_endpoint", "COLDFLEET_EMAILBISON_ENDPOINT"),
    "emailbisonApiKey": ("emailbison_api_key", "EMAILBISON_API_KEY"),
}
SETTINGS_FILE_KEY = "settingsFile"
SETTINGS_FILE_ENV = "COLDFLEET_SETTINGS_FILE"
# Keys an older stack may still carry. Refused loudly when no settings file is named (the stack would reach real APIs);
# ignored when one is: a destroy runs the providers with the config recorded in the state by the last `up`, and an
# old sandbox stack's recorded config still says `coldfleet:sandbox` while the CLI names the settings file.
RETIRED_KEYS = ("sandbox", "sandboxDir")

log = logging.getLogger(__name__)
_lock = threading.Lock()
_current: Settings | None = None


class SettingsError(ValueError):
    """The settings cannot be read: a retired stack key, an unreadable or malformed settings file, a bad value."""


def _coerce(name: str, raw: str) -> Any:
    kind = str({f.name: f.type for f in fields(Settings)}[name])
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if "float" in kind:
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if "bool" in kind:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def _text(key: str, value: object) -> str | None:
    """A settings file value as the stack config would give it (a string); None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise SettingsError(f"settings file key {key!r} must be a string, number or boolean")


def read_file(path: str | Path) -> dict[str, str]:
    """The raw values of a settings file, by stack-config key (`~` expanded; unknown keys refused)."""
    where = Path(path).expanduser()
    try:
        document = json.loads(where.read_text())
    except OSError as error:
        raise SettingsError(f"settings file {where} cannot be read: {error.strerror or error}") from None
    except ValueError as error:
        raise SettingsError(f"settings file {where} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise SettingsError(f"settings file {where} must hold a JSON object")
    unknown = sorted(set(document) - set(CONFIG_KEYS))
    if unknown:
        raise SettingsError(f"settings file {where} has unknown keys {unknown}; known: {sorted(CONFIG_KEYS)}")
    values = {key: _text(key, value) for key, value in document.items()}
    return {key: value for key, value in values.items() if value is not None}


def from_file(path: str | Path) -> Settings:
    """Settings from a settings file alone (defaults for what it leaves out)."""
    return from_sources(lambda _key: None, {SETTINGS_FILE_ENV: str(path)})


def _refuse_retired(get: Callable[[str], str | None], settings_file: str | None) -> None:
    for key in RETIRED_KEYS:
        if get(key) in (None, ""):
            continue
        if settings_file:
            log.warning("stack config coldfleet:%s is no longer read; settings come from %s", key, settings_file)
            continue
        raise SettingsError(
                f"stack config coldfleet:{key} is no longer read; set coldfleet:{SETTINGS_FILE_KEY} to a settings "
                "file instead (`coldfleet sandbox start` writes ~/.local/state/coldfleet/sandbox/settings.json)")


def from_sources(get: Callable[[str], str | None], env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from a config getter (`req.config.get`), the settings file it or `env` names, then `env`."""
    env = os.environ if env is None else env
    path = get(SETTINGS_FILE_KEY) or env.get(SETTINGS_FILE_ENV)
    _refuse_retired(get, path)
    in_file = read_file(path) if path else {}
    overrides: dict[str, Any] = {}
    for key, (name, env_name) in CONFIG_KEYS.items():
        for raw in (get(key), in_file.get(key), env.get(env_name)):
            if raw is not None and raw != "":
                overrides[name] = _coerce(name, raw)
                break
    return replace(Settings(), **overrides)


def load(get: Callable[[str], str | None], env: Mapping[str, str] | None = None) -> Settings:
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
    """Set the process settings directly (provider tests that call providers without the engine)."""
    global _current
    with _lock:
        _current = settings
