"""Zone phase entrypoint rulesets of the Cloudflare double (where Single Redirects live), as the Rulesets API serves
them: `GET`/`PUT /zones/{zone_id}/rulesets/phases/{ruleset_phase}/entrypoint`.

Shapes from cloudflare-openapi-zones-dns-rulesets.json (`rulesets_Ruleset` response: id, name, description, kind,
phase, version, last_updated, rules; each rule id, ref, expression, action, enabled, version, last_updated; the
`rulesets_RedirectRule` parameters). A phase that never had an entrypoint answers 404 with code 10003 "could not find
entrypoint ruleset in the <phase> phase" (as captured from real answers in public client code). `PUT` replaces the
whole ruleset and creates it when missing, as a new version; a rule keeps its id when the body names it, else gets a
new one, and `ref` defaults to the id. A body field the update does not take (`kind`, `phase`) is refused, as real
answers do ("unknown field"). The codes of validation errors other than 10003 are the double's own (unconfirmed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sandbox.cloudflare import errors
from sandbox.cloudflare.backend import CloudflareBackend
from sandbox.cloudflare.handlers import body_of, zone_id_of
from sandbox.cloudflare.models import new_id, now, state
from sandbox.persist import double_state
from sandbox.world import World

log = logging.getLogger(__name__)

PHASES = (
    "ddos_l4", "ddos_l7", "http_config_settings", "http_custom_errors", "http_log_custom_fields", "http_ratelimit",
    "http_request_cache_settings", "http_request_dynamic_redirect", "http_request_firewall_custom",
    "http_request_firewall_managed", "http_request_late_transform", "http_request_origin", "http_request_redirect",
    "http_request_sanitize", "http_request_sbfm", "http_request_select_configuration", "http_request_transform",
    "http_response_compression", "http_response_firewall_managed", "http_response_headers_transform",
    "magic_transit", "magic_transit_ids_managed", "magic_transit_managed",
)  # `rulesets_RulesetPhase`
ACTIONS = ("block", "challenge", "compress_response", "ddos_dynamic", "execute", "force_connection_close",
           "js_challenge", "log", "log_custom_field", "managed_challenge", "redirect", "rewrite", "route", "score",
           "serve_error", "set_cache_settings", "set_config", "skip")  # `rulesets_RequestRule` discriminator
RULE_FIELDS = {"id", "ref", "expression", "action", "action_parameters", "description", "enabled", "logging"}
STATUS_CODES = (301, 302, 303, 307, 308)
INVALID = 20021  # the double's own code for a refused ruleset body


@dataclass
class Entrypoint:
    id: str
    phase: str
    name: str = "default"
    description: str = ""
    version: int = 1
    last_updated: str = field(default_factory=now)
    rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RulesetState:
    entrypoints: dict[tuple[str, str], Entrypoint] = field(default_factory=dict)  # (zone id, phase)


def rulesets(world: World) -> RulesetState:
    return double_state(world, "cloudflare_rulesets", RulesetState)


def not_found(phase: str) -> errors.CfError:
    return errors.CfError(404, 10003, f"could not find entrypoint ruleset in the {phase} phase")


def invalid(message: str, pointer: str) -> errors.CfError:
    exc = errors.CfError(400, INVALID, message)
    exc.errors[0]["source"] = {"pointer": pointer}
    return exc


def ruleset_json(zone_id: str, entry: Entrypoint) -> dict[str, Any]:
    return {"id": entry.id, "name": entry.name, "description": entry.description, "kind": "zone",
            "phase": entry.phase, "version": str(entry.version), "last_updated": entry.last_updated,
            "rules": [dict(r) for r in entry.rules]}


def _redirect_parameters(params: Any, where: str) -> None:
    """`rulesets_RedirectRule`: from_value (target_url value or expression, status_code, preserve_query_string)."""
    if not isinstance(params, dict) or not isinstance(params.get("from_value") or params.get("from_list"), dict):
        raise invalid("a redirect rule needs action_parameters.from_value or from_list", f"{where}/action_parameters")
    value = params.get("from_value")
    if not isinstance(value, dict):
        return
    target = value.get("target_url")
    given = [k for k in ("value", "expression") if isinstance(target, dict) and target.get(k)]
    if len(given) != 1 or not isinstance(target[given[0]], str):  # type: ignore[index]
        raise invalid("target_url needs exactly one of value or expression",
                      f"{where}/action_parameters/from_value/target_url")
    code = value.get("status_code", 301)
    if isinstance(code, bool) or code not in STATUS_CODES:
        raise invalid(f"status_code must be one of {', '.join(map(str, STATUS_CODES))}",
                      f"{where}/action_parameters/from_value/status_code")
    if not isinstance(value.get("preserve_query_string", False), bool):
        raise invalid("preserve_query_string must be a boolean",
                      f"{where}/action_parameters/from_value/preserve_query_string")


def _rule(raw: Any, i: int, old: dict[str, dict[str, Any]], stamp: str) -> dict[str, Any]:
    where = f"/rules/{i}"
    if not isinstance(raw, dict):
        raise invalid("a rule must be an object", where)
    unknown = sorted(set(raw) - RULE_FIELDS - {"version", "last_updated", "categories"})
    if unknown:
        raise invalid(f"unknown field {unknown[0]}", f"{where}/{unknown[0]}")
    if not isinstance(raw.get("expression"), str) or not raw["expression"].strip():
        raise invalid("a rule needs an expression", f"{where}/expression")
    if raw.get("action") not in ACTIONS:
        raise invalid(f"unknown action {raw.get('action')!r}", f"{where}/action")
    if not isinstance(raw.get("enabled", True), bool):
        raise invalid("enabled must be a boolean", f"{where}/enabled")
    if raw["action"] == "redirect":
        _redirect_parameters(raw.get("action_parameters"), where)
    previous = old.get(str(raw.get("id") or ""))
    rule_id = previous["id"] if previous else new_id()
    ref = raw.get("ref") or (previous or {}).get("ref") or rule_id
    if not isinstance(ref, str):
        raise invalid("ref must be a string", f"{where}/ref")
    rule = {"id": rule_id, "ref": ref, "expression": raw["expression"], "action": raw["action"],
            "description": raw.get("description") or "", "enabled": raw.get("enabled", True)}
    for key in ("action_parameters", "logging"):
        if raw.get(key) is not None:
            rule[key] = raw[key]
    same = previous is not None and all(previous.get(k) == v for k, v in rule.items())
    version = int(previous["version"]) + (0 if same else 1) if previous else 1
    rule["version"] = str(version)
    rule["last_updated"] = previous["last_updated"] if previous and same else stamp
    return rule


def get_entrypoint(api: CloudflareBackend, zone_id: str, phase: str) -> dict[str, Any]:
    with api.world.lock:
        api._zone(zone_id)
        entry = rulesets(api.world).entrypoints.get((zone_id, phase))
        if entry is None:
            raise not_found(phase)
        return ruleset_json(zone_id, entry)


def put_entrypoint(api: CloudflareBackend, zone_id: str, phase: str, data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - {"name", "description", "rules"})
    if unknown:
        raise invalid(f"invalid JSON: unknown field {unknown[0]}", f"/{unknown[0]}")
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise invalid("rules must be a list", "/rules")
    with api.world.lock:
        api._zone(zone_id)
        store = rulesets(api.world).entrypoints
        entry = store.get((zone_id, phase))
        old = {r["id"]: r for r in entry.rules} if entry else {}
        stamp = now()
        new_rules = [_rule(raw, i, old, stamp) for i, raw in enumerate(rules)]
        refs = [r["ref"] for r in new_rules]
        dup = next((ref for ref in refs if refs.count(ref) > 1), None)
        if dup is not None:
            raise invalid(f"duplicate rule ref {dup!r}", "/rules")
        if entry is None:
            entry = Entrypoint(id=new_id(), phase=phase)
            store[(zone_id, phase)] = entry
        else:
            entry.version += 1
        entry.rules, entry.last_updated = new_rules, stamp
        entry.name = str(data.get("name") or entry.name)
        entry.description = str(data.get("description") or entry.description)
        log.info("cloudflare double: %s entrypoint of zone %s now v%d (%d rules)", phase,
                 state(api.world).zones[zone_id].name, entry.version, len(new_rules))
        return ruleset_json(zone_id, entry)


def phase_of(request: Request) -> str:
    phase = str(request.path_params["ruleset_phase"])
    if phase not in PHASES:
        raise errors.bad_route(request.url.path)
    return phase


async def get_entrypoint_handler(request: Request, api: CloudflareBackend) -> Response:
    zone_id, phase = zone_id_of(request), phase_of(request)
    return errors.envelope(await run_in_threadpool(get_entrypoint, api, zone_id, phase))


async def put_entrypoint_handler(request: Request, api: CloudflareBackend) -> Response:
    zone_id, phase = zone_id_of(request), phase_of(request)
    data = await body_of(request)
    return errors.envelope(await run_in_threadpool(put_entrypoint, api, zone_id, phase, data))
