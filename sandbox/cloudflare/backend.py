"""The Cloudflare double's actions (one method per API call); holds `world.lock` across state change + BIND push."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sandbox.cloudflare import errors
from sandbox.cloudflare.models import (
    CfRecord,
    CfZone,
    credentials,
    new_id,
    now,
    push,
    record_json,
    state,
    zone_json,
    zone_status,
)
from sandbox.cloudflare.records import check_conflicts, idna, normalize, zone_name
from sandbox.cloudflare.txt import txt_text
from sandbox.namecom.models import registered_nameservers
from sandbox.world import Dns, World

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "sandbox-cloudflare-token"
DEFAULT_ACCOUNT = "0" * 31 + "1"


def _match(value: str, expr: str) -> bool:
    """Zone list filters: `name=<op>:<value>` with Cloudflare's operators, `equal` by default."""
    op, _, operand = expr.partition(":")
    ops: dict[str, Callable[[str, str], bool]] = {
        "equal": lambda v, o: v == o, "not_equal": lambda v, o: v != o, "starts_with": str.startswith,
        "ends_with": str.endswith, "contains": lambda v, o: o in v}
    if operand and op in ops:
        return bool(ops[op](value.lower(), operand.lower()))
    return value.lower() == expr.lower()


def _text_filter(value: str | None, params: dict[str, str], key: str) -> list[bool]:
    """Results of the `<key>.<op>` filters present in params (case-insensitive)."""
    v = (value or "").lower()
    checks: list[bool] = []
    for op, test in (("exact", lambda a, b: a == b), ("contains", lambda a, b: b in a),
                     ("startswith", str.startswith), ("endswith", str.endswith)):
        if f"{key}.{op}" in params:
            checks.append(test(v, params[f"{key}.{op}"].lower().rstrip(".") if key == "name" else
                               params[f"{key}.{op}"].lower()))
    if f"{key}.present" in params:
        checks.append(value is not None and value != "")
    if f"{key}.absent" in params:
        checks.append(not value)
    return checks


class CloudflareBackend:
    def __init__(self, world: World, dns: Dns) -> None:
        self.world = world
        self.dns = dns

    def token(self) -> str:
        return credentials(self.world).get("cloudflare_api_token", DEFAULT_TOKEN)

    def account_id(self) -> str:
        return credentials(self.world).get("cloudflare_account_id", DEFAULT_ACCOUNT)

    def _zone(self, zone_id: str) -> CfZone:
        zone = state(self.world).zones.get(zone_id)
        if zone is None:
            raise errors.zone_not_found()
        return zone

    # zones
    def list_zones(self, params: dict[str, str]) -> list[dict[str, Any]]:
        with self.world.lock:
            out = []
            for zone in sorted(state(self.world).zones.values(), key=lambda z: z.name):
                if "name" in params and not _match(zone.name, params["name"]):
                    continue
                if "account.id" in params and params["account.id"] != zone.account_id:
                    continue
                body = zone_json(self.world, zone)
                if "status" in params and params["status"] != body["status"]:
                    continue
                out.append(body)
            if params.get("direction") == "desc":
                out.reverse()
            return out

    def create_zone(self, data: dict[str, Any]) -> dict[str, Any]:
        name = zone_name(data.get("name"))
        account = data.get("account")
        account_id = account.get("id") if isinstance(account, dict) else None
        if account_id != self.account_id():
            raise errors.CfError(403, 9109, "Invalid account identifier or no access to it")
        if data.get("type", "full") != "full":
            raise errors.validation("The sandbox supports only full zones", 1004)
        if not isinstance(data.get("jump_start", False), bool):
            raise errors.validation("Invalid 'jump_start' value, must be a boolean", 1004)
        with self.world.lock:
            zones = state(self.world).zones
            if any(z.name == name and z.account_id == self.account_id() for z in zones.values()):
                raise errors.zone_exists(name)
            try:
                if not self.dns.has_zone(name):
                    self.dns.add_zone(name)
            except Exception as exc:
                raise errors.CfError(500, 1002, f"sandbox: could not create the zone at BIND: {exc}") from None
            zone = CfZone(id=new_id(), name=name, account_id=self.account_id(),
                          name_servers=[n.lower().rstrip(".") for n in self.dns.nameservers()],
                          original_name_servers=registered_nameservers(self.world, name))
            zones[zone.id] = zone
            log.info("cloudflare double: zone %s created (%s)", name, zone.id)
            return zone_json(self.world, zone)

    def get_zone(self, zone_id: str) -> dict[str, Any]:
        with self.world.lock:
            return zone_json(self.world, self._zone(zone_id))

    def activation_check(self, zone_id: str) -> dict[str, Any]:
        """Cloudflare re-checks the delegation now. A domain held by the sandbox registrar activates only once it
        points at the zone's nameservers; any other domain counts as delegated by its owner elsewhere (the sandbox
        cannot see other registries), so the check is the sandbox's stand-in for that delegation."""
        with self.world.lock:
            zone = self._zone(zone_id)
            if zone_status(self.world, zone) == "pending" and registered_nameservers(self.world, zone.name) is None:
                zone.activated_on = now()
                log.info("cloudflare double: zone %s activated by an activation check", zone.name)
            return {"id": zone_id}

    def delete_zone(self, zone_id: str) -> dict[str, Any]:
        with self.world.lock:
            zone = self._zone(zone_id)
            del state(self.world).zones[zone_id]
            try:
                if self.dns.has_zone(zone.name):
                    self.dns.delete_zone(zone.name)
            except Exception:  # the Cloudflare zone is gone either way
                log.exception("cloudflare double: could not delete BIND zone %s", zone.name)
            return {"id": zone_id}

    # records
    def list_records(self, zone_id: str, params: dict[str, str]) -> list[dict[str, Any]]:
        with self.world.lock:
            zone = self._zone(zone_id)
            out = []
            for record in zone.records.values():
                checks: list[bool] = []
                if "type" in params:
                    checks.append(record.type == params["type"].upper())
                if "name" in params:
                    checks.append(record.name == idna(params["name"]))
                if "content" in params:
                    checks.append(record.content.lower() == params["content"].lower())
                if "proxied" in params:
                    checks.append(record.proxied == (params["proxied"].lower() == "true"))
                if "tag" in params:
                    checks.append(params["tag"] in record.tags)
                checks += _text_filter(record.name, params, "name")
                checks += _text_filter(txt_text(record.content) if record.type == "TXT" else record.content,
                                       params, "content")
                checks += _text_filter(record.comment, params, "comment")
                ok = any(checks) if params.get("match") == "any" and checks else all(checks)
                if ok:
                    out.append(record)
            order = params.get("order", "type")
            keys = {"type": lambda r: (r.type, r.name, r.content), "name": lambda r: (r.name, r.type, r.content),
                    "content": lambda r: (r.content, r.type), "ttl": lambda r: (r.ttl, r.name),
                    "proxied": lambda r: (r.proxied, r.name)}
            out.sort(key=keys.get(order, keys["type"]), reverse=params.get("direction") == "desc")
            return [record_json(zone, r) for r in out]

    def get_record(self, zone_id: str, record_id: str) -> dict[str, Any]:
        with self.world.lock:
            zone = self._zone(zone_id)
            record = zone.records.get(record_id)
            if record is None:
                raise errors.record_not_found()
            return record_json(zone, record)

    def create_record(self, zone_id: str, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with self.world.lock:
            zone = self._zone(zone_id)
            record, messages = normalize(zone, data)
            check_conflicts(zone, record)
            record.id = new_id()
            after = dict(zone.records)
            after[record.id] = record
            push(self.dns, zone, zone.records, after, {(record.name, record.type)})
            zone.records = after
            return record_json(zone, record), messages

    def update_record(self, zone_id: str, record_id: str, data: dict[str, Any],
                      partial: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with self.world.lock:
            zone = self._zone(zone_id)
            old = zone.records.get(record_id)
            if old is None:
                raise errors.record_not_found()
            if partial:
                merged = record_json(zone, old)
                merged.update(data)
                data = merged
            record, messages = normalize(zone, data)
            check_conflicts(zone, record, exclude=record_id)
            record = replace(record, id=record_id, created_on=old.created_on, modified_on=now())
            after = dict(zone.records)
            after[record_id] = record
            push(self.dns, zone, zone.records, after, {(old.name, old.type), (record.name, record.type)})
            zone.records = after
            return record_json(zone, record), messages

    def delete_record(self, zone_id: str, record_id: str) -> dict[str, Any]:
        with self.world.lock:
            zone = self._zone(zone_id)
            old: CfRecord | None = zone.records.get(record_id)
            if old is None:
                raise errors.record_not_found()
            after = {k: v for k, v in zone.records.items() if k != record_id}
            push(self.dns, zone, zone.records, after, {(old.name, old.type)})
            zone.records = after
            return {"id": record_id}


def state_view(world: World) -> dict[str, Any]:
    """JSON view for the admin app's GET /state."""
    with world.lock:
        return {"zones": [{**zone_json(world, z), "records": [record_json(z, r) for r in z.records.values()]}
                          for z in state(world).zones.values()]}
