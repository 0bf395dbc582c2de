"""Thin Graph handlers for users: the collection with $filter / $count, one user, licences, mailbox settings, the
profile photo and deleted items."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sandbox.graph import errors, photos, query, serialize
from sandbox.graph.calls import Answer, Call, Handler, check_options, collection, context, json_body
from sandbox.graph.models import GraphBackend

DEFAULT_DELETED_PROPERTIES = (*serialize.DEFAULT_USER_PROPERTIES, "deletedDateTime")


def _advanced(call: Call) -> bool:
    count = call.query.get("$count", "").lower() == "true"
    eventual = call.headers.get("consistencylevel", "").lower() == "eventual"
    if count and not eventual:
        raise errors.bad_request("$count is not currently supported.")
    return count and eventual


# -- users -------------------------------------------------------------------------------------------------------------
def _user_collection(b: GraphBackend, call: Call, users: list[Any], fragment: str, link: str,
                     default: tuple[str, ...]) -> Answer:
    check_options(call)
    advanced = _advanced(call)
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        items = [serialize.user_json(u, tenant) for u in users]
    if "$filter" in call.query:
        predicate = query.user_filter(call.query["$filter"], advanced)
        items = [item for item in items if predicate(item)]
    return collection(call, items, fragment, "user", default=default, link=link,
                      count=len(items) if advanced else None)


def list_users(b: GraphBackend, call: Call) -> Answer:
    names = query.select_names(call.query)
    fragment = f"users({','.join(names)})" if names else "users"
    return _user_collection(b, call, b.list_users(call.tenant_id), fragment, "/users",
                            serialize.DEFAULT_USER_PROPERTIES)


def _one_user(b: GraphBackend, call: Call, user: Any, status: int = 200, odata_type: bool = False) -> Answer:
    with b.world.lock:
        item = serialize.user_json(user, b.tenant(call.tenant_id))
    names = query.select_names(call.query)
    fragment = "users/$entity" if not odata_type else "directory/deletedItems/$entity"
    body: dict[str, Any] = {"@odata.context": context(call, fragment)}
    if odata_type:
        body["@odata.type"] = "#microsoft.graph.user"
    body.update(query.select(item, names, serialize.DEFAULT_USER_PROPERTIES, "user"))
    return Answer(status, body)


def create_user(b: GraphBackend, call: Call) -> Answer:
    return _one_user(b, call, b.create_user(call.tenant_id, json_body(call)), 201)


def get_user(b: GraphBackend, call: Call, user: str) -> Answer:
    check_options(call)
    return _one_user(b, call, b.get_user(call.tenant_id, user))


def update_user(b: GraphBackend, call: Call, user: str) -> Answer:
    b.update_user(call.tenant_id, user, json_body(call))
    return Answer(204)


def delete_user(b: GraphBackend, call: Call, user: str) -> Answer:
    b.delete_user(call.tenant_id, user)
    return Answer(204)


def assign_license(b: GraphBackend, call: Call, user: str) -> Answer:
    return _one_user(b, call, b.assign_license(call.tenant_id, user, json_body(call)))


def _mailbox_answer(b: GraphBackend, call: Call, user: str, stored: dict[str, Any]) -> Answer:
    found = b.get_user(call.tenant_id, user)
    body = serialize.mailbox_settings_json(found, stored)
    return Answer(200, {"@odata.context": context(call, f"users('{found.id}')/mailboxSettings"), **body})


def get_mailbox_settings(b: GraphBackend, call: Call, user: str) -> Answer:
    return _mailbox_answer(b, call, user, b.get_mailbox_settings(call.tenant_id, user))


def update_mailbox_settings(b: GraphBackend, call: Call, user: str) -> Answer:
    return _mailbox_answer(b, call, user, b.update_mailbox_settings(call.tenant_id, user, json_body(call)))


# -- profile photo -----------------------------------------------------------------------------------------------------
def _raw(call: Call) -> bytes:
    """The binary body: bytes at the top level, base64 text inside a $batch item."""
    if isinstance(call.body, bytes | bytearray):
        return bytes(call.body)
    if isinstance(call.body, str):
        try:
            return base64.b64decode(call.body, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise errors.GraphError(400, "InvalidImage", "The request body is not an image.")


def get_photo(b: GraphBackend, call: Call, user: str) -> Answer:
    with b.world.lock:
        found = b.get_user(call.tenant_id, user)
        body = photos.photo_json(photos.get_photo(found))
    return Answer(200, {"@odata.context": context(call, f"users('{found.id}')/photo/$entity"), **body})


def get_photo_value(b: GraphBackend, call: Call, user: str) -> Answer:
    with b.world.lock:
        photo = photos.get_photo(b.get_user(call.tenant_id, user))
        return Answer(200, photo.data, {"content-type": photo.media_type})


def set_photo(b: GraphBackend, call: Call, user: str) -> Answer:
    data = _raw(call)
    with b.world.lock:
        photos.set_photo(b.get_user(call.tenant_id, user), data)
    return Answer(200)


def delete_photo(b: GraphBackend, call: Call, user: str) -> Answer:
    with b.world.lock:
        photos.delete_photo(b.get_user(call.tenant_id, user))
    return Answer(204)


# -- deleted items -----------------------------------------------------------------------------------------------------
def list_deleted_users(b: GraphBackend, call: Call) -> Answer:
    path = "directory/deletedItems/microsoft.graph.user"
    return _user_collection(b, call, b.list_deleted_users(call.tenant_id), path, "/" + path,
                            DEFAULT_DELETED_PROPERTIES)


def get_deleted_item(b: GraphBackend, call: Call, item: str) -> Answer:
    return _one_user(b, call, b.get_deleted_item(call.tenant_id, item), odata_type=True)


def purge_deleted_item(b: GraphBackend, call: Call, item: str) -> Answer:
    b.purge_deleted_item(call.tenant_id, item)
    return Answer(204)


def restore_deleted_item(b: GraphBackend, call: Call, item: str) -> Answer:
    return _one_user(b, call, b.restore_deleted_item(call.tenant_id, item), odata_type=True)


TABLE: list[tuple[str, str, Handler]] = [
    ("GET", "/users", list_users),
    ("POST", "/users", create_user),
    ("GET", "/users/{user}", get_user),
    ("PATCH", "/users/{user}", update_user),
    ("DELETE", "/users/{user}", delete_user),
    ("POST", "/users/{user}/assignLicense", assign_license),
    ("GET", "/users/{user}/mailboxSettings", get_mailbox_settings),
    ("PATCH", "/users/{user}/mailboxSettings", update_mailbox_settings),
    ("GET", "/users/{user}/photo", get_photo),
    ("DELETE", "/users/{user}/photo", delete_photo),
    ("GET", r"/users/{user}/photo/\$value", get_photo_value),
    ("PUT", r"/users/{user}/photo/\$value", set_photo),
    ("PATCH", r"/users/{user}/photo/\$value", set_photo),
    ("GET", "/directory/deletedItems/microsoft.graph.user", list_deleted_users),
    ("GET", "/directory/deletedItems/{item}", get_deleted_item),
    ("DELETE", "/directory/deletedItems/{item}", purge_deleted_item),
    ("POST", "/directory/deletedItems/{item}/restore", restore_deleted_item),
]
