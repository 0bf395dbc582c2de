"""`coldfleet new-client NAME`: start a client's own stack file from a template.

One stack per client keeps clients apart: their own state (one stack in the backend), their own credentials (secrets
in their own `Pulumi.<client>.yaml`, encrypted with that stack's key), and no cross-stack reads (the program only reads
its own stack's outputs). The spec is validated with the same loader the program uses, so a template that would not
deploy is never written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cli.engine import CliError
from cli.sandbox import settings_path
from components.spec import SpecError, load_spec
from providers.types import DEFAULT_COUNTRY

SECRETS = (
    ("coldfleet:clientSecret", "the app registration's client secret (Partner Center + Graph + Exchange)"),
    ("cloudflare:apiToken", "Cloudflare API token with Zone:Edit and DNS:Edit on the client's account"),
    ("coldfleet:namecomToken", "Name.com API token (registrations)"),
)
PLAIN = (
    ("coldfleet:partnerTenantId", "your partner tenant id"),
    ("coldfleet:clientId", "the app registration's client id"),
    ("coldfleet:cloudflareAccountId", "the Cloudflare account the zones belong to"),
    ("coldfleet:namecomUsername", "Name.com API user"),
)


def template(client: str, primary_domain: str, residency: str, domains: list[str], sandbox: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "client": client,
        "primary_domain": primary_domain,
        "residency": residency,
        "dns": {"backend": "cloudflare"},
        "registrar": "namecom",
        "tenant": {
            "mode": "partner",
            "company_name": f"{client.title()} Outbound",
            "address": {
                "first_name": "Ops",
                "last_name": "Team",
                "address_line1": "CHANGE ME 1",
                "city": "CHANGE ME",
                "state": "CHANGE ME",
                "postal_code": "00000",
                "country": DEFAULT_COUNTRY[residency],
            },
            "contact": {"first_name": "Ops", "last_name": "Team", "email": f"it@{primary_domain}"},
        },
        "defaults": {
            "mailboxes": 3,
            "dmarc": {"policy": "quarantine", "rua": [f"mailto:dmarc@{primary_domain}"]},
            "ramp": {"start": 5, "step": 2, "max": 30},
            "daily_limit_cap": 50,
            "sequencer": "instantly",
            "sending": "oauth",
            "licence": "exchange_online_plan1",
        },
        "personas": [{"first": "Anna", "last": "Keller"}, {"first": "Marco", "last": "Rossi"}],
        "domains": [{"name": d, "status": "active"} for d in domains],
    }
    config: dict[str, Any] = {"coldfleet:fleet": spec}
    if sandbox:
        config["coldfleet:settingsFile"] = settings_path()
    return {"config": config}


def create(
    project_dir: Path, client: str, primary_domain: str, residency: str, domains: list[str], sandbox: bool
) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", client):
        raise CliError(f"client {client!r}: use lowercase letters, digits and dashes (it names the stack)")
    if residency not in DEFAULT_COUNTRY:
        raise CliError(f"residency {residency!r}: one of {', '.join(sorted(DEFAULT_COUNTRY))}")
    path = project_dir / f"Pulumi.{client}.yaml"
    if path.exists():
        raise CliError(f"{path.name} exists already: a client's stack file is never overwritten")
    document = template(client, primary_domain, residency, domains, sandbox)
    try:
        load_spec(document["config"]["coldfleet:fleet"])  # refuse to write what would not deploy
    except SpecError as error:
        raise CliError(str(error)) from None
    header = (
        f"# Stack for client {client!r}: its own state and credentials. Edit the spec below, then:\n"
        f"#   coldfleet preview --stack {client}     (review the diff in a pull request)\n"
        f"#   coldfleet up --stack {client}\n"
    )
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path


def instructions(client: str, sandbox: bool) -> str:
    if sandbox:
        return (
            f"Stack {client} runs against the sandbox: `coldfleet up --stack {client}` "
            "(set PULUMI_CONFIG_PASSPHRASE first)."
        )
    lines = [f"Set the client's credentials (secrets are encrypted into Pulumi.{client}.yaml):"]
    lines += [f"  pulumi config set --stack {client} {key} <{what}>" for key, what in PLAIN]
    lines += [f"  pulumi config set --stack {client} --secret {key} <{what}>" for key, what in SECRETS]
    lines.append("Or export the AZURE_* / CLOUDFLARE_* / NAMECOM_* variables (README: Configuration).")
    return "\n".join(lines)
