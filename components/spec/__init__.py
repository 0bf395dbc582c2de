"""The fleet spec (`coldfleet:fleet`), validated completely and offline before any resource is registered.

The face of three rooms: `models` (the fields and each one's own rules), `rules` (rules spanning fields) and loading
here, which runs both and lists every error at once, each with its place in the spec, so a user can fix a 40-domain
file in one pass. Rules about a *change* to a deployed fleet (mass delete, residency lock) are
`components.guardrails`'; what a name may hold, `components.naming`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from components.spec.models import (
    Defaults,
    DnsSpec,
    DomainSpec,
    FleetSpec,
    Persona,
    RampSpec,
    TenantSpec,
    WarmupSpec,
)
from components.spec.rules import cross_field_errors
from providers.types import normalise_domain

__all__ = [
    "LEGAL_NOTICE", "Defaults", "DnsSpec", "DomainSpec", "FleetSpec", "Persona", "RampSpec", "SpecError", "TenantSpec",
    "WarmupSpec", "cross_field_errors", "load_spec",
    "normalise_domain",  # the providers' tests check their spelling of domain names against the spec's
]

LEGAL_NOTICE = (
    "Provisioning mailboxes does not make sending lawful. Cold email is regulated where the recipients are: in the EU "
    "and Switzerland (GDPR, ePrivacy, national unfair-competition law such as Germany's UWG §7(2), which requires "
    "prior consent even for B2B email), in the US (CAN-SPAM). Check the rules for your recipients before sending."
)


class SpecError(Exception):
    """An invalid spec: `errors` lists every `(path, message)`, so the CLI can print them once."""

    def __init__(self, errors: Iterable[tuple[str, str]]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  {path}: {message}" for path, message in self.errors)
        super().__init__(f"invalid coldfleet:fleet spec ({len(self.errors)} error(s)):\n{lines}")


def _pydantic_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(spec)"


def load_spec(raw: Mapping[str, Any] | str) -> FleetSpec:
    """Parse and validate the fleet spec (a mapping, or YAML/JSON text). Raises SpecError; never touches the network.

    Rules spanning fields run once every field is valid (they read the fields' normalised values).
    """
    if isinstance(raw, str):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as error:
            raise SpecError([("(spec)", f"not YAML/JSON: {error}")]) from None
    if not isinstance(raw, Mapping):
        raise SpecError([("(spec)", "must be an object")])
    try:
        spec = FleetSpec.model_validate(dict(raw))
    except ValidationError as error:
        errors = error.errors()
        raise SpecError((_pydantic_path(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in errors) from None
    problems = list(cross_field_errors(spec))
    if problems:
        raise SpecError(problems)
    return spec
