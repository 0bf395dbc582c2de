"""Mail of the Graph double: a mailbox's messages and their file attachments, read-only, as Graph serves them.

Contract (msgraph-v1.0.csdl: entity types message, attachment, fileAttachment; learn.microsoft.com "List messages",
"List attachments"): `GET /users/{id|upn}/messages` pages 10 messages by default (`$top` up to 1000) and links the next
page with `$skip` in `@odata.nextLink`, newest first; `$filter` takes `eq` on hasAttachments / isRead / subject,
`$select` the message's properties. `GET .../messages/{id}/attachments` lists attachments with `@odata.type`
`#microsoft.graph.fileAttachment` and `contentBytes` in base64 (Edm.Binary). A user without a provisioned mailbox
answers 404 MailboxNotEnabledForRESTAPI, an unknown message 404 ErrorItemNotFound. `receivedDateTime` and `sentDateTime`
also take ge / gt / le / lt against an unquoted DateTimeOffset, as Graph does. The real calls need the Mail.Read
application permission; every app that may manage the tenant is modelled as holding it.

Nothing delivers mail in the sandbox: `POST /tenants/{tenant_id}/users/{user}/messages` on the admin app (subject, from,
receivedDateTime?, attachments [{name, contentType, contentBytes (base64)}]) drops a received message into a mailbox, as
a reporter's mail server would.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.graph import errors, query
from sandbox.graph.calls import Answer, Call, Handler, context, dispatcher_for, routes
from sandbox.persist import double_state
from sandbox.world import Tenant, User, World

DEFAULT_TOP = 10
MAX_TOP = 1000
MESSAGE_FILTERS = {"hasAttachments": {"eq"}, "isRead": {"eq"}, "subject": {"eq"}}
DATE_FILTERS = ("receivedDateTime", "sentDateTime")
RANGE_OPS = {"ge": "__ge__", "gt": "__gt__", "le": "__le__", "lt": "__lt__"}


class MessageFilter(query.Filter):
    """The shared grammar plus range comparisons on the message's dates (`receivedDateTime ge 2026-11-18T00:00:00Z`,
    literals unquoted as Graph takes them)."""

    def factor(self) -> query.Predicate:
        ahead = self.tokens[self.pos + 1].lower() if self.pos + 1 < len(self.tokens) else ""
        if self.peek() not in DATE_FILTERS or ahead not in RANGE_OPS:
            return super().factor()
        prop, op, raw = self.take(), self.take().lower(), self.take()
        try:
            bound = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise errors.odata_bad_request(f"Invalid filter clause: '{raw}' is not a DateTimeOffset.") from None

        def match(item: dict[str, Any]) -> bool:
            value = datetime.fromisoformat(str(item[prop]).replace("Z", "+00:00"))
            return bool(getattr(value, RANGE_OPS[op])(bound))

        return match


@dataclass
class Attachment:
    id: str
    name: str
    content_type: str
    data: bytes


@dataclass
class Message:
    id: str
    subject: str
    sender: str
    received: float
    attachments: list[Attachment] = field(default_factory=list)
    internet_message_id: str = ""


@dataclass
class MailState:
    """Messages by "tenant id/user id", oldest first."""

    boxes: dict[str, list[Message]] = field(default_factory=dict)


def state(world: World) -> MailState:
    return double_state(world, "graph_mail", MailState)


def _new_id() -> str:
    return "AAMkA" + base64.urlsafe_b64encode(secrets.token_bytes(30)).decode().rstrip("=")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _recipient(address: str) -> dict[str, Any]:
    return {"emailAddress": {"name": address, "address": address}}


def message_json(msg: Message, owner: User) -> dict[str, Any]:
    when = _iso(msg.received)
    return {
        "@odata.etag": f'W/"{msg.id[-12:]}"', "id": msg.id, "createdDateTime": when, "lastModifiedDateTime": when,
        "changeKey": msg.id[-12:], "categories": [], "receivedDateTime": when, "sentDateTime": when,
        "hasAttachments": bool(msg.attachments), "internetMessageId": msg.internet_message_id, "subject": msg.subject,
        "bodyPreview": "", "importance": "normal", "parentFolderId": "inbox", "conversationId": msg.id[:20],
        "conversationIndex": None, "isDeliveryReceiptRequested": False, "isReadReceiptRequested": False,
        "isRead": False, "isDraft": False, "webLink": f"https://outlook.office365.com/owa/?ItemID={msg.id}",
        "inferenceClassification": "focused", "body": {"contentType": "text", "content": ""},
        "sender": _recipient(msg.sender), "from": _recipient(msg.sender),
        "toRecipients": [_recipient(owner.mail or "")],
        "ccRecipients": [], "bccRecipients": [], "replyTo": [], "flag": {"flagStatus": "notFlagged"},
    }


def attachment_json(att: Attachment, msg: Message) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.fileAttachment", "@odata.mediaContentType": att.content_type,
        "id": att.id, "lastModifiedDateTime": _iso(msg.received), "name": att.name, "contentType": att.content_type,
        "size": len(att.data), "isInline": False, "contentId": None, "contentLocation": None,
        "contentBytes": base64.b64encode(att.data).decode(),
    }


def _mailbox(tenant: Tenant, key: str) -> User:
    wanted = key.lower()
    user = tenant.users.get(key) or next((u for u in tenant.users.values()
                                          if u.user_principal_name.lower() == wanted), None)
    if user is None or user.deleted_at is not None:
        raise errors.not_found(key)
    if user.mailbox_ready_at is None or user.mailbox_ready_at > time.time():
        raise errors.mailbox_not_enabled()
    return user


def _box(world: World, call: Call, user: str) -> tuple[User, list[Message]]:
    tenant = world.tenants.get(call.tenant_id)
    if tenant is None:
        raise errors.access_denied()
    owner = _mailbox(tenant, user)
    return owner, state(world).boxes.get(f"{tenant.id}/{owner.id}", [])


def _message(messages: list[Message], message: str) -> Message:
    found = next((m for m in messages if m.id == message), None)
    if found is None:
        raise errors.GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return found


def _int(call: Call, name: str, default: int, low: int, high: int) -> int:
    raw = call.query.get(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        raise errors.odata_bad_request(f"Invalid value '{raw}' for query option {name}.") from None
    if not low <= value <= high:
        raise errors.odata_bad_request(f"The value of {name} must be between {low} and {high}.")
    return value


def list_messages(world: World, call: Call, user: str) -> Answer:
    with world.lock:
        owner, messages = _box(world, call, user)
        items = [message_json(m, owner) for m in sorted(messages, key=lambda m: -m.received)]
    if "$filter" in call.query:
        predicate = MessageFilter(call.query["$filter"], MESSAGE_FILTERS, "Message").parse()
        items = [item for item in items if predicate(item)]
    top = _int(call, "$top", DEFAULT_TOP, 1, MAX_TOP)
    skip = _int(call, "$skip", 0, 0, 1_000_000)
    names = query.select_names(call.query)
    body: dict[str, Any] = {"@odata.context": context(call, f"users('{owner.id}')/messages")}
    if skip + top < len(items):
        params = {k: v for k, v in call.query.items() if k != "$skip"}
        params.update({"$top": str(top), "$skip": str(skip + top)})
        body["@odata.nextLink"] = (f"{call.base_url}/users/{user}/messages?"
                                   + "&".join(f"{k}={quote(v, safe=',/:()')}" for k, v in params.items()))
    default = tuple(k for k in items[0] if k != "@odata.etag") if items else ()
    body["value"] = [{"@odata.etag": item["@odata.etag"], **query.select(item, names, default, "message")}
                     for item in items[skip:skip + top]]
    return Answer(200, body)


def get_message(world: World, call: Call, user: str, message: str) -> Answer:
    with world.lock:
        owner, messages = _box(world, call, user)
        item = message_json(_message(messages, message), owner)
    names = query.select_names(call.query)
    return Answer(200, {"@odata.context": context(call, f"users('{owner.id}')/messages/$entity"),
                        **query.select(item, names, tuple(item), "message")})


def list_attachments(world: World, call: Call, user: str, message: str) -> Answer:
    with world.lock:
        owner, messages = _box(world, call, user)
        msg = _message(messages, message)
        value = [attachment_json(a, msg) for a in msg.attachments]
    return Answer(200, {"@odata.context": context(call, f"users('{owner.id}')/messages('{msg.id}')/attachments"),
                        "value": value})


def get_attachment(world: World, call: Call, user: str, message: str, attachment: str) -> Answer:
    with world.lock:
        owner, messages = _box(world, call, user)
        msg = _message(messages, message)
        found = next((a for a in msg.attachments if a.id == attachment), None)
        if found is None:
            raise errors.GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        body = attachment_json(found, msg)
    return Answer(200, {"@odata.context": context(
        call, f"users('{owner.id}')/messages('{msg.id}')/attachments/$entity"), **body})


TABLE = routes([
    ("GET", "/users/{user}/messages", list_messages),
    ("GET", "/users/{user}/messages/{message}", get_message),
    ("GET", "/users/{user}/messages/{message}/attachments", list_attachments),
    ("GET", "/users/{user}/messages/{message}/attachments/{attachment}", get_attachment),
])


def dispatcher(fallback: Handler) -> Handler:
    return dispatcher_for(TABLE, fallback)


def deliver(world: World, tenant_id: str, user: str, data: dict[str, Any]) -> Message:
    """Put a received message into the mailbox (ValueError for a malformed one, LookupError for no mailbox)."""
    attachments = []
    for raw in data.get("attachments") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ValueError("each attachment needs a name, contentType and contentBytes (base64)")
        try:
            content = base64.b64decode(str(raw.get("contentBytes") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"attachment {raw['name']}: contentBytes is not base64") from None
        attachments.append(Attachment(id=_new_id(), name=raw["name"], data=content,
                                      content_type=str(raw.get("contentType") or "application/octet-stream")))
    received = time.time()
    if data.get("receivedDateTime"):
        try:
            received = datetime.fromisoformat(str(data["receivedDateTime"]).replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise ValueError("receivedDateTime is not an ISO 8601 date and time") from None
    with world.lock:
        tenant = world.tenants.get(tenant_id)
        if tenant is None:
            raise LookupError(f"no tenant {tenant_id}")
        try:
            owner = _mailbox(tenant, user)
        except errors.GraphError as error:
            raise LookupError(f"{user}: {error.message}") from None
        msg = Message(id=_new_id(), subject=str(data.get("subject") or ""), attachments=attachments,
                      sender=str(data.get("from") or "noreply-dmarc-support@google.com"), received=received,
                      internet_message_id=f"<{secrets.token_hex(8)}@sandbox.invalid>")
        state(world).boxes.setdefault(f"{tenant.id}/{owner.id}", []).append(msg)
        return msg


def admin_endpoint(world: World) -> Callable[[Request], Any]:
    """The admin app's `POST /tenants/{tenant_id}/users/{user}/messages`: a message arrives in that mailbox."""

    async def endpoint(request: Request) -> Response:
        data = await request.json()
        if not isinstance(data, dict):
            return JSONResponse({"error": "body must be {'subject', 'from', 'attachments': [...]}"}, status_code=400)
        try:
            msg = deliver(world, request.path_params["tenant_id"], request.path_params["user"], data)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except LookupError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        return JSONResponse({"id": msg.id, "attachments": [a.id for a in msg.attachments]}, status_code=201)

    return endpoint
