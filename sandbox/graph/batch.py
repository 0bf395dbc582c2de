"""JSON batching (`POST /$batch`): at most 20 items, `dependsOn` (and the SDK's `depends_on`), 424 for items whose
dependency failed, each item throttled on its own, responses in no particular order (clients must match ids)."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.graph import errors
from sandbox.graph.calls import Answer, Call

MAX_ITEMS = 20
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


def _invalid() -> errors.GraphError:
    return errors.odata_bad_request("Invalid batch payload format.")


def _item_body(raw: Any) -> Any:
    if isinstance(raw, str):  # non-JSON bodies travel base64-encoded
        try:
            return json.loads(base64.b64decode(raw))
        except ValueError:
            return raw
    return raw


def _validate(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise _invalid()
    items: list[dict[str, Any]] = body["requests"]
    if len(items) > MAX_ITEMS:
        raise errors.odata_bad_request(f"The number of batch requests exceeds the maximum of {MAX_ITEMS}.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            raise _invalid()
        item_id, method, url = item.get("id"), str(item.get("method", "")).upper(), item.get("url")
        if not isinstance(item_id, str) or not item_id or item_id in seen:
            raise errors.odata_bad_request("Batch request ids must be unique, non-empty strings.")
        if method not in METHODS or not isinstance(url, str) or not url or "://" in url:
            raise _invalid()
        headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
        if item.get("body") is not None and "content-type" not in headers:
            raise errors.odata_bad_request(
                f"Write request id : {item_id} does not contain Content-Type header or body.")
        deps = item.get("dependsOn", item.get("depends_on")) or []
        if not isinstance(deps, list) or any(d not in seen for d in deps):
            raise errors.odata_bad_request(f"Request id {item_id}: dependsOn must name earlier requests of the batch.")
        seen.add(item_id)
    return items


def run_batch(call: Call, dispatch: Callable[[Call], Answer]) -> Answer:
    """Run the items in order (dependencies always point backwards) and answer 200 with every item's response."""
    items = _validate(call.body)
    status: dict[str, int] = {}
    responses: list[dict[str, Any]] = []
    for item in items:
        item_id = item["id"]
        deps = item.get("dependsOn", item.get("depends_on")) or []
        failed = [d for d in deps if status.get(d, 500) >= 400]
        if failed:
            error = errors.GraphError(424, "FailedDependency",
                                      f"Request {item_id} was not run: its dependency {failed[0]} failed.")
            answer = Answer(424, error.body(call.request_id, call.client_request_id))
        else:
            url = item["url"] if item["url"].startswith("/") else "/" + item["url"]
            parts = urlsplit(url)
            headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
            sub = Call(method=str(item["method"]).upper(), path=unquote(parts.path),
                       query=dict(parse_qsl(parts.query, keep_blank_values=True)), headers=headers,
                       body=_item_body(item.get("body")), tenant_id=call.tenant_id, client_id=call.client_id,
                       base_url=call.base_url, request_id=call.request_id,
                       client_request_id=call.client_request_id)
            answer = _run_item(sub, dispatch)
        status[item_id] = answer.status
        entry: dict[str, Any] = {"id": item_id, "status": answer.status, "headers": dict(answer.headers)}
        if isinstance(answer.body, bytes):  # media travel base64-encoded, like Graph's own batch answers
            entry["body"] = base64.b64encode(answer.body).decode("ascii")
        elif answer.body is not None:
            entry["headers"].setdefault("Content-Type", JSON_TYPE)
            entry["body"] = answer.body
        responses.append(entry)
    random.shuffle(responses)
    return Answer(200, {"responses": responses})


def _run_item(sub: Call, dispatch: Callable[[Call], Answer]) -> Answer:
    first = sub.path.strip("/").split("/")[0]
    try:
        if first in ("v1.0", "beta"):
            raise errors.segment_not_found(first)
        if first == "$batch":
            raise errors.odata_bad_request("Nested batch requests are not supported.")
        return dispatch(sub)
    except errors.GraphError as exc:
        return Answer(exc.status, exc.body(sub.request_id, sub.client_request_id), dict(exc.headers))
