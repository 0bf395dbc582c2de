"""A sending domain's web traffic at Cloudflare: proxied placeholder records and one Single Redirect rule.

Cloudflare redirects a hostname only when it sees the traffic, so the names must be proxied; a name with no origin
gets an A record to 192.0.2.1 (TEST-NET-1: an address that only exists so the proxy has something to sit in front
of; the "dummy proxied A record" of Cloudflare's community answers, and the proxied example record of
developers.cloudflare.com/dns/proxy-status/). A proxied name answers Cloudflare's own anycast addresses, never the
placeholder, so the wait after a write only asks that the name answers at all.

The redirect is a Single Redirect (developers.cloudflare.com/rules/url-forwarding/single-redirects/): a rule of the
zone's `http_request_dynamic_redirect` phase entrypoint ruleset (Rulesets API,
`GET`/`PUT /zones/{zone_id}/rulesets/phases/{phase}/entrypoint`, in cloudflare-openapi-zones-dns-rulesets.json). A
zone that never had one answers 404 with code 10003. `PUT` replaces the whole ruleset, so every rule that is not ours
goes back as read (without its read-only fields); ours is the one with `ref` RULE_REF, and no other rule is changed.
SDK 5.9 parses `get` into a model but types `update` `Union[Ruleset, Optional[object]]` and hands back a dict. Reads
go through the client's plain `get` (the JSON envelope as it came): the SDK's rulesets resource imports its response
models on first use, about 0.35 s of every refresh's provider process, for one small document.
"""

from __future__ import annotations

import logging
from typing import Any

from providers.clients.dns.authoritative import authoritative_query
from providers.clients.dns.base import ZoneInfo, check_rdtype, fqdn, owner
from providers.clients.dns.cloudflare import COMMENT, CloudflareDns, record_value
from providers.clients.errors import NotFound, NotReady, ServerError
from providers.clients.poll import until_ready
from providers.config import Settings

log = logging.getLogger(__name__)

PHASE = "http_request_dynamic_redirect"
PLACEHOLDER_IPV4 = "192.0.2.1"
PROXIED_TTL = 1  # "automatic": Cloudflare serves proxied names with its own TTL
RULE_REF = "coldfleet_forwarding"
READ_ONLY = ("version", "last_updated", "categories")
PROXIABLE = ("A", "AAAA", "CNAME")


def redirect_rule(domain: str, target: str) -> dict[str, Any]:
    """Our rule: the apex and www of `domain` answer 301 to the same path on https://<target>, query kept."""
    hosts = " ".join(f'"{h}"' for h in (domain, f"www.{domain}"))
    return {
        "ref": RULE_REF,
        "description": f"forward {domain} to {target} ({COMMENT})",
        "expression": f"(http.host in {{{hosts}}})",
        "action": "redirect",
        "action_parameters": {"from_value": {
            "target_url": {"expression": f'concat("https://{target}", http.request.uri.path)'},
            "status_code": 301,
            "preserve_query_string": True,
        }},
        "enabled": True,
    }


def _sendable(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k not in READ_ONLY and v is not None}


def _as_dict(result: object) -> dict[str, Any]:
    """The SDK types the answer `Union[Ruleset, Optional[object]]` and, in 5.9, hands back the plain dict."""
    if isinstance(result, dict):
        return result
    to_dict = getattr(result, "to_dict", None)
    return dict(to_dict(mode="json")) if callable(to_dict) else {}


def _all_proxied(records: list[Any]) -> bool:
    """Whether every record of a set is proxied (an empty set is not)."""
    return bool(records) and all(getattr(r, "proxied", False) for r in records)


def same_rule(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether a rule as read is `wanted` (the fields we send; the server adds id, version, logging...)."""
    return all(found.get(k) == v for k, v in wanted.items())


class CloudflareWeb(CloudflareDns):
    """CloudflareDns plus proxied record sets and the zone's redirect rule (same SDK client, same transport)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._proxied = False

    # -- proxied records ---------------------------------------------------------------------------------------
    def _body(self, name: str, rtype: str, value: str, ttl: int) -> dict[str, Any]:
        body = super()._body(name, rtype, value, ttl)
        body["proxied"] = self._proxied and rtype in PROXIABLE
        return body

    def set_proxied_rrset(self, zone: str, name: str, rdtype: str, values: list[str]) -> None:
        """Like `set_rrset` (ours or refused), with every record proxied; records kept as they were get proxied."""
        rtype = check_rdtype(rdtype)
        self._proxied = True
        try:
            self.set_rrset(zone, name, rtype, values, PROXIED_TTL)
            info, full = self._zone(zone), owner(zone, name)
            for record in self._records(info, full, rtype):
                if not getattr(record, "proxied", False):
                    self._call(f"proxy {full} {rtype}", self.client.dns.records.edit, record.id,
                               zone_id=info.zone_id, type=rtype, name=full, ttl=PROXIED_TTL, proxied=True,
                               comment=COMMENT)
        finally:
            self._proxied = False

    def zone_records(self, zone: str) -> dict[tuple[str, str], tuple[list[str], bool]]:
        """Every record set of the zone from one paged listing: (owner name, type) -> (values, all proxied). A read
        that looks at several names asks this once instead of `get_rrset` and `proxied` per name."""
        info = self._zone(zone)
        sets: dict[tuple[str, str], list[Any]] = {}
        for record in self._call(f"list the records of {info.zone}",
                                 lambda: list(self.client.dns.records.list(zone_id=info.zone_id, per_page=5000))):
            sets.setdefault((fqdn(record.name or ""), str(record.type)), []).append(record)
        return {key: ([record_value(r) for r in found], _all_proxied(found)) for key, found in sets.items()}

    def proxied(self, zone: str, name: str, rdtype: str) -> bool:
        """Whether every record of the set is proxied (an empty set is not)."""
        info = self._zone(zone)
        return _all_proxied(self._records(info, owner(zone, name), check_rdtype(rdtype)))

    def _wait(self, info: ZoneInfo, name: str, rtype: str, values: list[str]) -> None:
        if not (self._proxied and values):
            super()._wait(info, name, rtype, values)
            return
        nameservers = None if self.settings.authoritative_server else info.nameservers

        def answered() -> None:
            try:
                if authoritative_query(self.settings, info.zone, name, rtype, nameservers=nameservers):
                    return
            except (ServerError, NotReady) as exc:
                log.debug("cloudflare: %s %s not answered yet: %s", name, rtype, exc)
            raise NotReady("no answer at the authoritative servers yet", api="cloudflare")

        try:
            until_ready(self.settings, f"{name} {rtype} (proxied)", answered)
        except NotReady:  # the message this wait has always given
            raise NotReady(f"{name} {rtype} (proxied) does not answer at the authoritative servers after "
                           f"{self.settings.poll_timeout_s:g}s", api="cloudflare") from None

    # -- the redirect rule -------------------------------------------------------------------------------------
    def redirect_rules(self, zone: str) -> list[dict[str, Any]]:
        """Every rule of the zone's redirect phase entrypoint, as read; [] when the zone has none yet (404)."""
        info = self._zone(zone)
        try:
            answer = self._call(f"read the redirect rules of {info.zone}", self.client.get,
                                f"/zones/{info.zone_id}/rulesets/phases/{PHASE}/entrypoint", cast_to=object)
        except NotFound:
            return []
        ruleset = answer.get("result") if isinstance(answer, dict) else None
        rules = _as_dict(ruleset or {}).get("rules")
        return [dict(r) for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []

    def our_rule(self, zone: str) -> dict[str, Any] | None:
        return next((r for r in self.redirect_rules(zone) if r.get("ref") == RULE_REF), None)

    def set_redirect(self, zone: str, rule: dict[str, Any] | None) -> None:
        """Make our rule `rule` (None: remove it), leaving every other rule of the phase as it is."""
        info = self._zone(zone)
        rules = self.redirect_rules(zone)
        ours = [r for r in rules if r.get("ref") == RULE_REF]
        if rule is None and not ours:
            return
        if rule is not None and len(ours) == 1 and same_rule(ours[0], rule):
            return
        others = [_sendable(r) for r in rules if r.get("ref") != RULE_REF]
        self._call(f"write the redirect rules of {info.zone}", self.client.rulesets.phases.update, PHASE,
                   zone_id=info.zone_id, rules=[*others, *([rule] if rule else [])])
        log.info("cloudflare: redirect rule of %s %s", info.zone, "set" if rule else "removed")
