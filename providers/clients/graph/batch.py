"""Graph JSON batching through msgraph-core's BatchRequestContent, with the workarounds the notes record:

- each `BatchRequestItem` is built by hand with our id and `depends_on` (ids passed other ways become random UUIDs),
  and its `url` set relative to the version root (msgraph-core keeps the absolute URL, which Graph rejects);
- the answer is read as raw bytes through `send_primitive_async` (the SDK's batch response drops JSON-object bodies),
  which keeps authentication and the retry middleware.

Items answered 429 are throttled one by one by Graph; they (and the items that failed only because of them) are sent
again after the largest Retry-After, as many times and with the same waits as the transport's policy for Graph.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from providers.clients import http
from providers.clients.errors import BadRequest, ClientError, ServerError
from providers.clients.graph.session import API, error_for

MAX_ITEMS = 20
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = MAX_ITEMS) -> list[list[T]]:
    """`items` in runs of at most `size` (a batch's limit)."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def answer_code(answer: dict[str, Any]) -> str | None:
    """The Graph error code of one batch answer (`MailboxNotEnabledForRESTAPI`), None when it carries none."""
    body = answer.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and error.get("code") else None


def answer_error(what: str, answer: dict[str, Any]) -> ClientError:
    """The error one failed batch answer stands for, mapped like a direct call's (a 429 keeps its Retry-After)."""
    body = answer.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    message = str(error.get("message") or "no details") if isinstance(error, dict) else "no details"
    headers = {str(k).lower(): str(v) for k, v in (answer.get("headers") or {}).items()}
    return error_for(what, int(answer.get("status") or 0), answer_code(answer), message, headers)


def _item(base_url: str, request: dict[str, Any], deps: list[str]) -> BatchRequestItem:
    url = str(request["url"])
    if "://" in url or not url.startswith("/"):
        raise BadRequest(f"batch item {request.get('id')}: url must be relative to the version root, like /users",
                         api=API)
    info = RequestInformation()
    info.http_method = Method[str(request.get("method", "GET")).upper()]
    info.url = base_url + url
    for name, value in (request.get("headers") or {}).items():
        info.headers.add(str(name), str(value))
    if request.get("body") is not None:
        info.content = json.dumps(request["body"]).encode()
        if not any(h.lower() == "content-type" for h in info.headers.keys()):
            info.headers.add("Content-Type", "application/json")
    item = BatchRequestItem(info, id=str(request["id"]), depends_on=list(deps))
    item.url = url
    # headers are serialized as-is: flatten kiota's sets of values into strings
    item.headers = {name: ", ".join(sorted(values)) for name, values in info.headers.get_all().items()}
    return item


async def _send(client: GraphServiceClient, base_url: str, requests: list[dict[str, Any]],
                done: set[str]) -> dict[str, dict[str, Any]]:
    content = BatchRequestContent()
    for request in requests:
        content.add_request(str(request["id"]), _item(base_url, request, [d for d in _deps(request) if d not in done]))
    info = await client.batch.to_post_request_information(content)
    raw = await client.request_adapter.send_primitive_async(  # type: ignore[func-returns-value]
        info, "bytes", {"XXX": ODataError})
    try:
        answers = json.loads(raw or b"{}")["responses"]
    except (ValueError, KeyError, TypeError):
        raise ServerError("batch: the answer is not a batch response", api=API) from None
    return {str(a.get("id")): {"id": str(a.get("id")), "status": int(a.get("status", 0)),
                               "headers": a.get("headers") or {}, "body": a.get("body")} for a in answers}


def _retry_after(answer: dict[str, Any]) -> float | None:
    headers = {str(k).lower(): str(v) for k, v in answer.get("headers", {}).items()}
    return http.parse_retry_after(headers.get("retry-after"))


def _deps(request: dict[str, Any]) -> list[str]:
    return [str(d) for d in request.get("dependsOn", request.get("depends_on")) or []]


def _to_retry(pending: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> set[str]:
    """Throttled items, and items that failed only because a throttled dependency did not run."""
    retry_ids = {str(r["id"]) for r in pending if results[str(r["id"])]["status"] == 429}
    for request in pending:
        if results[str(request["id"])]["status"] == 424 and any(d in retry_ids for d in _deps(request)):
            retry_ids.add(str(request["id"]))
    return retry_ids


async def run_batch(client: GraphServiceClient, base_url: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not requests:
        return []
    if len(requests) > MAX_ITEMS:
        raise BadRequest(f"batch: {len(requests)} requests, Graph takes at most {MAX_ITEMS}", api=API)
    ids = [str(r["id"]) for r in requests]
    if len(set(ids)) != len(ids):
        raise BadRequest("batch: request ids must be unique", api=API)
    results: dict[str, dict[str, Any]] = {}
    pending = list(requests)
    policy = http.policy_for(API)
    for attempt in range(1, policy.throttled_attempts + 1):
        done = {i for i, r in results.items() if r["status"] < 400}
        results.update(await _send(client, base_url, pending, done))
        retry_ids = _to_retry(pending, results)
        if not retry_ids or attempt == policy.throttled_attempts:
            break
        told = [t for i in retry_ids if results[i]["status"] == 429 and (t := _retry_after(results[i])) is not None]
        wait = policy.wait_for(attempt, max(told) if told else None)
        policy.note("POST", f"{base_url}/$batch", f"{len(retry_ids)} item(s) HTTP 429", attempt, wait,
                    policy.throttled_attempts)
        await http.async_sleep(wait)
        pending = [r for r in requests if str(r["id"]) in retry_ids]
    return [results[i] for i in ids]
