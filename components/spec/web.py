"""The fleet spec's forwarding and tracking fields: where a sending domain's web traffic goes, and the hostname its
open and click tracking runs on.

Tracking hosts of the sequencers' custom tracking domains: Instantly, a CNAME to `prox.itrackly.com`, proxy off at
Cloudflare (Instantly's help article "Custom tracking domain", help.instantly.ai/en/articles/6984188, which its API
docs link; the value every public Instantly setup publishes, e.g. host `inst`); Smartlead, a CNAME to
`open.sleadtrack.com` (the value public Smartlead setups publish, e.g. host `emailtracking`; Smartlead's own page
was not in reach to confirm it). Either can change: `target` overrides it, and a csv export, with no sequencer to
point at, requires it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from providers.types import DomainName
from providers.web_records.args import check_ipv4, check_label

TRACKING_HOSTS = {"instantly": "prox.itrackly.com", "smartlead": "open.sleadtrack.com"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrackingSpec(_Model):
    """`<label>.<domain>` CNAME to the sequencer's tracking host; `enabled: false` turns a default off for a domain."""

    enabled: bool = True
    label: str = "track"
    target: DomainName | None = None

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        return check_label(value)


class RedirectSpec(_Model):
    """rfc2136 only: a host that answers every request with the redirect (`www` CNAMEs to it, the apex A is its
    address); Cloudflare redirects with a rule of its own and needs none."""

    host: DomainName
    ipv4: str

    @field_validator("ipv4")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        return check_ipv4(value)
