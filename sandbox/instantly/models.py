"""State and rules of the Instantly double: email accounts keyed by address, their daily analytics.

Follows developer.instantly.ai (API v2, "Account" and "Analytics" groups) and the contract in
/work/shared/reference/partner-cloudflare-sequencers-contract.md: `POST /accounts` requires the IMAP and SMTP
credentials and `provider_code` (3 = Microsoft); the answer is the account without any password; `status` 1 is
active, 2 paused, negative an error (-1: the connection test failed, as the real service records it instead of
refusing the call); `warmup_status` 1 active, 0 paused. Accounts are listed with cursor paging (`limit` <= 100,
`starting_after` = the last email of the previous page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.accounts import EMAIL_RE, now, whole_number
from sandbox.instantly import errors
from sandbox.mailbox_login import login_problem
from sandbox.persist import double_state
from sandbox.world import World

REQUIRED = ("email", "first_name", "last_name", "provider_code", "imap_username", "imap_password", "imap_host",
            "imap_port", "smtp_username", "smtp_password", "smtp_host", "smtp_port")
PATCHABLE = ("first_name", "last_name", "daily_limit", "sending_gap", "enable_slow_ramp", "warmup")
COUNTERS = ("sent", "bounced", "contacted", "new_leads_contacted", "opened", "unique_opened", "replies",
            "unique_replies", "replies_automatic", "unique_replies_automatic", "clicks", "unique_clicks")


@dataclass
class InstAccount:
    email: str
    first_name: str
    last_name: str
    provider_code: int
    status: int
    daily_limit: int | None
    sending_gap: int
    enable_slow_ramp: bool
    warmup: dict[str, Any]
    warmup_status: int
    created: str
    updated: str
    status_message: str | None = None


@dataclass
class InstantlyState:
    accounts: dict[str, InstAccount] = field(default_factory=dict)
    activity: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # email -> date -> counters


def state(world: World) -> InstantlyState:
    return double_state(world, "instantly", InstantlyState)


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    return whole_number(body, key, low, high, errors.bad_request, f"body/{key}")


def _warmup(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {"limit": 10, "increment": 1, "reply_rate": 30}
    if not isinstance(raw, dict):
        raise errors.bad_request("body/warmup must be object")
    out = {"limit": 10, "increment": 1, "reply_rate": 30, **raw}
    for key in ("limit", "increment", "reply_rate"):
        _int(out, key, 0, 100)
    return out


def account_json(acc: InstAccount) -> dict[str, Any]:
    return {"email": acc.email, "timestamp_created": acc.created, "timestamp_updated": acc.updated,
            "first_name": acc.first_name, "last_name": acc.last_name, "provider_code": acc.provider_code,
            "status": acc.status, "status_message": acc.status_message, "warmup_status": acc.warmup_status,
            "setup_pending": False, "daily_limit": acc.daily_limit, "sending_gap": acc.sending_gap,
            "enable_slow_ramp": acc.enable_slow_ramp, "warmup": dict(acc.warmup)}


def create(world: World, body: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in REQUIRED if body.get(k) in (None, "")]
    if missing:
        raise errors.bad_request(f"body must have required property '{missing[0]}'")
    email = str(body["email"]).strip().lower()
    if not EMAIL_RE.match(email):
        raise errors.bad_request("body/email must match format \"email\"")
    code = _int(body, "provider_code", 1, 4)
    for key in ("imap_port", "smtp_port"):
        _int(body, key, 1, 65535)
    limit = _int(body, "daily_limit", 1, 10000) if body.get("daily_limit") is not None else None
    st = state(world)
    if email in st.accounts:
        raise errors.bad_request(f"Account {email} already exists in this workspace")
    problem = login_problem(world, str(body["smtp_username"]), str(body["smtp_password"]))
    if problem is None and body["imap_password"] != body["smtp_password"]:
        problem = login_problem(world, str(body["imap_username"]), str(body["imap_password"]))
    stamp = now()
    acc = InstAccount(email=email, first_name=str(body["first_name"]), last_name=str(body["last_name"]),
                      provider_code=code, status=-1 if problem else 1, daily_limit=limit,
                      sending_gap=int(body.get("sending_gap") or 10),
                      enable_slow_ramp=bool(body.get("enable_slow_ramp", False)), warmup=_warmup(body.get("warmup")),
                      warmup_status=0 if problem else 1, created=stamp, updated=stamp, status_message=problem)
    st.accounts[email] = acc
    return account_json(acc)


def get(world: World, email: str) -> InstAccount:
    acc = state(world).accounts.get(email.strip().lower())
    if acc is None:
        raise errors.not_found()
    return acc


def patch(world: World, email: str, body: dict[str, Any]) -> dict[str, Any]:
    acc = get(world, email)
    unknown = sorted(set(body) - set(PATCHABLE))
    if unknown:
        raise errors.bad_request(f"body must NOT have additional properties ('{unknown[0]}')")
    if "daily_limit" in body:
        acc.daily_limit = _int(body, "daily_limit", 1, 10000)
    if "sending_gap" in body:
        acc.sending_gap = _int(body, "sending_gap", 0, 1440)
    if "warmup" in body:
        acc.warmup = _warmup({**acc.warmup, **(body["warmup"] or {})})
    for key in ("first_name", "last_name", "enable_slow_ramp"):
        if key in body:
            setattr(acc, key, body[key])
    acc.updated = now()
    return account_json(acc)


def set_paused(world: World, email: str, paused: bool) -> dict[str, Any]:
    acc = get(world, email)
    if acc.status < 0 and not paused:
        raise errors.bad_request("Account has connection errors; reconnect it before resuming")
    if acc.status > 0:
        acc.status = 2 if paused else 1
        acc.warmup_status = 0 if paused else 1
    acc.updated = now()
    return account_json(acc)


def delete(world: World, email: str) -> dict[str, Any]:
    acc = get(world, email)
    del state(world).accounts[acc.email]
    state(world).activity.pop(acc.email, None)
    return account_json(acc)


def page(world: World, limit: int, starting_after: str | None) -> dict[str, Any]:
    emails = sorted(state(world).accounts)
    if starting_after:
        emails = [e for e in emails if e > starting_after.lower()]
    chunk = emails[:limit]
    body: dict[str, Any] = {"items": [account_json(state(world).accounts[e]) for e in chunk]}
    body["next_starting_after"] = chunk[-1] if len(emails) > limit else None
    return body


def record(world: World, email: str, day: str, counts: dict[str, Any]) -> dict[str, int]:
    """Sandbox only: add campaign activity for one account and day (what sending would have produced)."""
    acc = get(world, email)
    row = state(world).activity.setdefault(acc.email, {}).setdefault(day, dict.fromkeys(COUNTERS, 0))
    for key, value in counts.items():
        if key in row and isinstance(value, int) and not isinstance(value, bool):
            row[key] += value
    return dict(row)


def daily(world: World, start: str, end: str, emails: list[str]) -> list[dict[str, Any]]:
    if start > end:
        raise errors.InstantlyError(400, "Start Date must be earlier than End Date")
    wanted = {e.lower() for e in emails} if emails else set(state(world).accounts)
    rows = []
    for email in sorted(wanted):
        for day, counts in sorted(state(world).activity.get(email, {}).items()):
            if start <= day <= end:
                rows.append({"date": day, "email_account": email, **counts})
    return rows
