"""State and rules of the EmailBison double: sender emails of one workspace by numeric id.

Follows the EmailBison API reference (dedi.emailbison.com/api/reference, "Sender Emails"; docs.emailbison.com,
"Adding Sender Emails", "Pagination"): `POST /api/sender-emails/imap-smtp` (JSON; required name, email, password,
imap_server, imap_port, smtp_server, smtp_port; optional smtp_secure, imap_secure, email_signature; email unique:
422 otherwise) answers `{data: sender}`; `POST /api/sender-emails/bulk` takes a CSV file (multipart field `csv`);
`GET /api/sender-emails` pages 15 a page (`?page=`; `data`, `links`, `meta.current_page/last_page/per_page/total`);
`GET|PATCH|DELETE /api/sender-emails/{id}` (PATCH: daily_limit, name, email_signature);
`PATCH /api/sender-emails/daily-limits/bulk` (sender_email_ids, daily_limit).
Not documented, so chosen here: a new sender's connection is tested against the world (`status` "Connected" or
"Not connected" — the reference's example shows "Connected"); a new sender's daily_limit is 5 (the reference's
example value); a daily_limit of 0 is accepted (coldfleet's pause: EmailBison documents no pause for a sender).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.emailbison import errors
from sandbox.mailbox_login import login_problem
from sandbox.persist import double_state
from sandbox.world import World

PER_PAGE = 15
REQUIRED = ("name", "email", "password", "imap_server", "imap_port", "smtp_server", "smtp_port")
HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UPDATABLE = ("daily_limit", "name", "email_signature")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


@dataclass
class Sender:
    id: int
    name: str
    email: str
    imap_server: str
    imap_port: int
    smtp_server: str
    smtp_port: int
    smtp_secure: bool
    imap_secure: bool
    daily_limit: int
    status: str
    email_signature: str
    created_at: str
    updated_at: str


@dataclass
class BisonState:
    senders: dict[int, Sender] = field(default_factory=dict)
    next_id: int = 1


def state(world: World) -> BisonState:
    return double_state(world, "emailbison", BisonState)


def sender_json(s: Sender) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "email": s.email, "email_signature": s.email_signature,
            "imap_server": s.imap_server, "imap_port": s.imap_port, "smtp_server": s.smtp_server,
            "smtp_port": s.smtp_port, "daily_limit": s.daily_limit, "type": "Inbox", "status": s.status,
            "warmup_enabled": False, "emails_sent_count": 0, "total_replied_count": 0, "total_opened_count": 0,
            "unsubscribed_count": 0, "bounced_count": 0, "unique_replied_count": 0, "unique_opened_count": 0,
            "total_leads_contacted_count": 0, "interested_leads_count": 0, "created_at": s.created_at,
            "updated_at": s.updated_at, "tags": []}


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise errors.invalid(key, f"The {key.replace('_', ' ')} field must be an integer between {low} and {high}.")
    return value


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if not isinstance(value, bool):
        raise errors.invalid(key, f"The {key.replace('_', ' ')} field must be true or false.")
    return value


def get(world: World, sender_id: int) -> Sender:
    found = state(world).senders.get(sender_id)
    if found is None:
        raise errors.not_found()
    return found


def create(world: World, body: dict[str, Any]) -> Sender:
    for key in REQUIRED:
        if body.get(key) in (None, ""):
            raise errors.invalid(key, f"The {key.replace('_', ' ')} field is required.")
    email = str(body["email"]).strip().lower()
    if not EMAIL_RE.match(email):
        raise errors.invalid("email", "The email field must be a valid email address.")
    if any(s.email == email for s in state(world).senders.values()):
        raise errors.invalid("email", "The email has already been taken.")
    for key in ("imap_server", "smtp_server"):
        if not HOST_RE.match(str(body[key]).strip().lower()):
            raise errors.invalid(key, f"The {key.replace('_', ' ')} field must be a valid domain name.")
    ports = [_int(body, k, 1, 65535) for k in ("imap_port", "smtp_port")]
    problem = login_problem(world, email, str(body["password"]))
    st, stamp = state(world), now()
    sender = Sender(id=st.next_id, name=str(body["name"]), email=email, imap_server=str(body["imap_server"]),
                    imap_port=ports[0], smtp_server=str(body["smtp_server"]), smtp_port=ports[1],
                    smtp_secure=_bool(body, "smtp_secure", False), imap_secure=_bool(body, "imap_secure", True),
                    daily_limit=5, status="Not connected" if problem else "Connected",
                    email_signature=str(body.get("email_signature") or ""), created_at=stamp, updated_at=stamp)
    st.next_id += 1
    st.senders[sender.id] = sender
    return sender


def create_one(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return {"data": sender_json(create(world, body))}


# CSV column (as a public integration uploads it; the vendor does not publish the template) -> create field
CSV_COLUMNS = {"name": "name", "email": "email", "password": "password", "imap server": "imap_server",
               "imap port": "imap_port", "smtp server": "smtp_server", "smtp port": "smtp_port",
               "daily limit": "daily_limit", "smtp secure": "smtp_secure", "imap secure": "imap_secure"}


def create_bulk(world: World, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Every row is validated before any is saved: one bad row refuses the file (its row number named)."""
    bodies: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        body = {CSV_COLUMNS[k.strip().lower()]: v for k, v in row.items() if k and k.strip().lower() in CSV_COLUMNS}
        missing = [k for k in REQUIRED if not body.get(k)]
        if missing:
            raise errors.invalid(f"csv.{number}", f"Row {number}: the {missing[0].replace('_', ' ')} is required.")
        bodies.append(body)
    made: list[Sender] = []
    for body in bodies:
        sender = create(world, body)
        if body.get("daily_limit") not in (None, ""):
            sender.daily_limit = _int(body, "daily_limit", 0, 10000)
        made.append(sender)
    return {"data": [sender_json(s) for s in made]}


def update(world: World, sender_id: int, body: dict[str, Any]) -> dict[str, Any]:
    sender = get(world, sender_id)
    unknown = sorted(set(body) - set(UPDATABLE))
    if unknown:
        raise errors.invalid(unknown[0], f"The {unknown[0]} field cannot be updated.")
    if "daily_limit" in body:
        sender.daily_limit = _int(body, "daily_limit", 0, 10000)
    if "name" in body:
        sender.name = str(body["name"])
    if "email_signature" in body:
        sender.email_signature = str(body["email_signature"] or "")
    sender.updated_at = now()
    return {"data": sender_json(sender)}


def bulk_daily_limits(world: World, body: dict[str, Any]) -> dict[str, Any]:
    ids = body.get("sender_email_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise errors.invalid("sender_email_ids", "The sender email ids field is required.")
    limit = _int(body, "daily_limit", 0, 10000)
    for index, sender_id in enumerate(ids):
        if sender_id not in state(world).senders:
            raise errors.invalid(f"sender_email_ids.{index}", f"The selected sender_email_ids.{index} is invalid.")
    for sender_id in ids:
        state(world).senders[sender_id].daily_limit = limit
    return {"data": {"success": True, "message": "Daily limits updated successfully."}}


def delete(world: World, sender_id: int) -> dict[str, Any]:
    sender = get(world, sender_id)
    del state(world).senders[sender.id]
    return {"data": {"success": True, "message": "Sender email deleted successfully."}}


def page(world: World, number: int, base_url: str) -> dict[str, Any]:
    senders = [state(world).senders[k] for k in sorted(state(world).senders)]
    total = len(senders)
    last = max(1, -(-total // PER_PAGE))
    chunk = senders[(number - 1) * PER_PAGE:number * PER_PAGE]

    def link(n: int | None) -> str | None:
        return f"{base_url}?page={n}" if n is not None else None

    first_index = (number - 1) * PER_PAGE + 1
    return {"data": [sender_json(s) for s in chunk],
            "links": {"first": link(1), "last": link(last), "prev": link(number - 1 if number > 1 else None),
                      "next": link(number + 1 if number < last else None)},
            "meta": {"current_page": number, "from": first_index if chunk else None, "last_page": last,
                     "path": base_url, "per_page": PER_PAGE,
                     "to": first_index + len(chunk) - 1 if chunk else None, "total": total}}
