"""What WebRecords declares (pydantic, no SDK): forwarding of a sending domain's web traffic and its tracking CNAME."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from providers.types import DomainName

LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")  # one hostname label (RFC 1123)
TAKEN = {"www": "forwarding", "autodiscover": "AuthRecords (Outlook's autodiscover CNAME)"}


def check_label(value: str) -> str:
    """One hostname label, lowercased: letters, digits and inner hyphens, at most 63 characters."""
    label = value.strip().lower()
    if not LABEL.match(label):
        raise ValueError(f"{value!r} is not a hostname label (letters, digits and inner '-', at most 63 characters)")
    if label in TAKEN:
        raise ValueError(f"{label!r} belongs to {TAKEN[label]}; pick another label")
    return label


def check_ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None


class WebRecordsArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: DomainName
    dns_backend: Literal["cloudflare", "rfc2136"]
    forward_to: DomainName | None = None  # the client's primary domain; None: no forwarding
    redirect_host: DomainName | None = None  # rfc2136: where `www` points (a host that answers with the redirect)
    redirect_ipv4: str | None = None  # rfc2136: the apex A of that host
    tracking_label: str | None = None  # `<label>.<domain>` CNAMEs to tracking_target
    tracking_target: DomainName | None = None
    ttl: int = Field(default=3600, ge=60, le=86400)

    @field_validator("tracking_label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return None if value is None else check_label(value)

    @field_validator("redirect_ipv4")
    @classmethod
    def _ipv4(cls, value: str | None) -> str | None:
        return None if value is None else check_ipv4(value)

    def problems(self) -> list[tuple[str, str]]:
        """Rules across fields, as (field, reason)."""
        out: list[tuple[str, str]] = []
        if self.forward_to is not None:
            if self.forward_to == self.domain:
                out.append(("forward_to", "a domain cannot forward to itself"))
            if self.dns_backend == "rfc2136":
                for field in ("redirect_host", "redirect_ipv4"):
                    if getattr(self, field) is None:
                        out.append((field, "required to forward with the rfc2136 backend (it has no redirect rules)"))
        if (self.tracking_label is None) != (self.tracking_target is None):
            missing = "tracking_target" if self.tracking_target is None else "tracking_label"
            out.append((missing, "tracking_label and tracking_target go together"))
        return out
