"""State and rules of the Smartlead double: email accounts by numeric id, their warmup and suspension.

Follows api.smartlead.ai (API reference, "Email Account Management") and the contract in
/work/shared/reference/partner-cloudflare-sequencers-contract.md: `POST /email-accounts/save` creates when no `id`
is given and validates the SMTP and IMAP login first (406 ACCOUNT_VERIFICATION_FAILED), answering `{ok, message,
data: {id, from_email, is_smtp_success, is_imap_success, warmup_details}}`; the list is a bare array paged with
`offset` / `limit` (<= 100) in which the create field `max_email_per_day` reads back as `message_per_day`;
suspend (`PUT /email-accounts/suspend/{id}`) stops campaign and warmup sending; delete answers
`{ok, message, emailAccountId}`. Per-account activity (`daily_sent_count`, warmup totals) is all the account object
carries: Smartlead documents no per-mailbox bounce or reply totals on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.accounts import EMAIL_RE, now, whole_number
from sandbox.mailbox_login import login_problem
from sandbox.persist import double_state
from sandbox.smartlead import errors
from sandbox.world import World

REQUIRED = ("from_name", "from_email", "user_name", "password", "smtp_host", "smtp_port", "imap_host", "imap_port")
UPDATABLE = ("from_name", "max_email_per_day", "custom_tracking_url", "bcc", "signature", "time_to_wait_in_mins",
             "different_reply_to_address")
WARMUP = ("warmup_enabled", "total_warmup_per_day", "daily_rampup", "reply_rate_percentage")


@dataclass
class SlAccount:
    id: int
    from_name: str
    from_email: str
    username: str
    smtp_host: str
    smtp_port: int
    imap_host: str
    imap_port: int
    type: str
    message_per_day: int
    warmup: dict[str, Any]
    created_at: str
    updated_at: str
    is_suspended: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    daily_sent_count: int = 0


@dataclass
class SmartleadState:
    accounts: dict[int, SlAccount] = field(default_factory=dict)
    next_id: int = 1001


def state(world: World) -> SmartleadState:
    return double_state(world, "smartlead", SmartleadState)


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    return whole_number(body, key, low, high, errors.bad_request)


def _warmup(body: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    out = dict(old or {"warmup_enabled": False, "total_warmup_per_day": 10, "daily_rampup": 1,
                       "reply_rate_percentage": 30})
    if "warmup_enabled" in body:
        if not isinstance(body["warmup_enabled"], bool):
            raise errors.bad_request("warmup_enabled must be a boolean")
        out["warmup_enabled"] = body["warmup_enabled"]
    for key, high in (("total_warmup_per_day", 100), ("daily_rampup", 100), ("reply_rate_percentage", 100)):
        if body.get(key) is not None:
            out[key] = _int(body, key, 0, high)
    return out


def account_json(acc: SlAccount) -> dict[str, Any]:
    w = acc.warmup
    return {"id": acc.id, "created_at": acc.created_at, "updated_at": acc.updated_at, "from_name": acc.from_name,
            "from_email": acc.from_email, "username": acc.username, "smtp_host": acc.smtp_host,
            "smtp_port": acc.smtp_port, "smtp_port_type": "TLS", "imap_host": acc.imap_host,
            "imap_port": acc.imap_port, "imap_port_type": "SSL", "message_per_day": acc.message_per_day,
            "daily_sent_count": acc.daily_sent_count, "is_smtp_success": True, "is_imap_success": True,
            "type": acc.type, "is_suspended": acc.is_suspended, "client_id": None, **acc.settings,
            "warmup_details": {"status": "ACTIVE" if w["warmup_enabled"] and not acc.is_suspended else "INACTIVE",
                               "total_sent_count": 0, "total_spam_count": 0,
                               "warmup_max_count": w["total_warmup_per_day"], "daily_rampup": w["daily_rampup"],
                               "reply_rate": w["reply_rate_percentage"], "is_warmup_blocked": False}}


def get(world: World, account_id: int) -> SlAccount:
    acc = state(world).accounts.get(account_id)
    if acc is None:
        raise errors.not_found()
    return acc


def _create(world: World, body: dict[str, Any]) -> SlAccount:
    missing = [k for k in REQUIRED if body.get(k) in (None, "")]
    if missing:
        raise errors.bad_request(f"{missing[0]} is required")
    email = str(body["from_email"]).strip().lower()
    if not EMAIL_RE.match(email):
        raise errors.bad_request("from_email must be a valid email")
    ports = [_int(body, k, 1, 65535) for k in ("smtp_port", "imap_port")]
    kind = body.get("type", "SMTP")
    if kind not in ("GMAIL", "OUTLOOK", "SMTP"):
        raise errors.bad_request("type must be one of GMAIL, OUTLOOK, SMTP")
    problem = login_problem(world, str(body["user_name"]), str(body["password"]))
    if problem is None and body.get("imap_password") not in (None, "", body["password"]):
        problem = login_problem(world, str(body.get("imap_user_name") or body["user_name"]),
                                str(body["imap_password"]))
    if problem:
        raise errors.verification_failed(problem)
    st = state(world)
    limit = _int(body, "max_email_per_day", 0, 10000) if body.get("max_email_per_day") is not None else 100
    stamp = now()
    acc = SlAccount(id=st.next_id, from_name=str(body["from_name"]), from_email=email,
                    username=str(body["user_name"]), smtp_host=str(body["smtp_host"]), smtp_port=ports[0],
                    imap_host=str(body["imap_host"]), imap_port=ports[1], type=kind, message_per_day=limit,
                    warmup=_warmup(body), created_at=stamp, updated_at=stamp,
                    is_suspended=bool(body.get("is_suspended", False)))
    st.next_id += 1
    st.accounts[acc.id] = acc
    return acc


def save(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Upsert: no `id` creates (an address already present is updated in place), an `id` updates."""
    if body.get("id") is not None:
        acc = get(world, _int(body, "id", 1, 2**31))
        update(world, acc.id, {k: v for k, v in body.items() if k in UPDATABLE})
        acc.warmup = _warmup(body, acc.warmup)
        message = "Email account updated successfully"
    else:
        email = str(body.get("from_email", "")).strip().lower()
        existing = next((a for a in state(world).accounts.values() if a.from_email == email), None)
        acc = existing or _create(world, body)
        message = "Email account added successfully"
    a = account_json(acc)
    return {"ok": True, "message": message,
            "data": {"id": acc.id, "from_email": acc.from_email, "is_smtp_success": True, "is_imap_success": True,
                     "warmup_details": {"status": a["warmup_details"]["status"],
                                        "total_warmup_per_day": acc.warmup["total_warmup_per_day"]}}}


def update(world: World, account_id: int, body: dict[str, Any]) -> dict[str, Any]:
    acc = get(world, account_id)
    unknown = sorted(set(body) - set(UPDATABLE))
    if unknown:
        raise errors.bad_request(f"{unknown[0]} cannot be updated here")
    if "max_email_per_day" in body:
        acc.message_per_day = _int(body, "max_email_per_day", 0, 10000)
    if "from_name" in body:
        acc.from_name = str(body["from_name"])
    acc.settings.update({k: v for k, v in body.items() if k not in ("max_email_per_day", "from_name")})
    acc.updated_at = now()
    return {"ok": True, "message": "Email account updated successfully", "data": account_json(acc)}


def set_warmup(world: World, account_id: int, body: dict[str, Any]) -> dict[str, Any]:
    acc = get(world, account_id)
    if "warmup_enabled" not in body:
        raise errors.bad_request("warmup_enabled is required")
    acc.warmup = _warmup(body, acc.warmup)
    acc.updated_at = now()
    return {"ok": True, "emailAccountId": acc.id, "warmupKey": f"sandbox-{acc.id}"}


def set_suspended(world: World, account_id: int, suspended: bool) -> dict[str, Any]:
    acc = state(world).accounts.get(account_id)
    if acc is None:
        raise errors.bad_request("Invalid account ID or account not found")
    acc.is_suspended = suspended
    acc.updated_at = now()
    word = "suspended" if suspended else "unsuspended"
    return {"success": True, "message": f"Email account {word} successfully",
            "data": {"accountId": acc.id, "isSuspended": suspended}}


def delete(world: World, account_id: int) -> dict[str, Any]:
    acc = get(world, account_id)
    del state(world).accounts[acc.id]
    return {"ok": True, "message": "Email account deleted successfully!", "emailAccountId": acc.id}


def page(world: World, offset: int, limit: int) -> list[dict[str, Any]]:
    accounts = [state(world).accounts[k] for k in sorted(state(world).accounts)]
    return [account_json(a) for a in accounts[offset:offset + limit]]
