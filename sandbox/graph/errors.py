"""Graph error envelopes with the codes and messages Microsoft answers (see reference/microsoft-contract.md).

Directory errors use `Request_*` / `Authorization_*` codes, gateway and Outlook errors their own; every body carries
`innerError` with date, request-id and client-request-id, as the real service does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any


class GraphError(Exception):
    """An error answer: raised anywhere in the double, turned into the envelope by the dispatcher."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        detail_code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.detail_code = detail_code
        self.headers = headers or {}

    def body(self, request_id: str, client_request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["details"] = [
                {"code": self.detail_code or "InvalidValue", "message": self.message, "target": self.target}
            ]
        error["innerError"] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        return {"error": error}


WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)


def invalid_token(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def access_denied() -> GraphError:
    return GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def bad_request(message: str, *, target: str | None = None, detail_code: str | None = None) -> GraphError:
    return GraphError(400, "Request_BadRequest", message, target=target, detail_code=detail_code)


def odata_bad_request(message: str) -> GraphError:
    """Errors of the OData layer (URL / query / payload parsing) use the plain `BadRequest` code."""
    return GraphError(400, "BadRequest", message)


def required(prop: str, resource: str = "User") -> GraphError:
    return bad_request(f"A value is required for property '{prop}' of resource '{resource}'.", target=prop,
                       detail_code="MissingValue")


def invalid_value(prop: str, resource: str = "User") -> GraphError:
    return bad_request(f"Invalid value specified for property '{prop}' of resource '{resource}'.", target=prop)


def not_found(resource_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{resource_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def segment_not_found(segment: str) -> GraphError:
    return odata_bad_request(f"Resource not found for the segment '{segment}'.")


def method_not_allowed() -> GraphError:
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


def unsupported_query(prop: str, resource: str = "User") -> GraphError:
    return GraphError(
        400,
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of resource '{resource}'.",
    )


def mailbox_not_enabled() -> GraphError:
    return GraphError(
        404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
    )


def throttled(retry_after_s: float, client_id: str, tenant_id: str) -> GraphError:
    return GraphError(
        429,
        "TooManyRequests",
        "Please retry again later.",
        headers={
            "Retry-After": str(max(1, math.ceil(retry_after_s))),
            "x-ms-throttle-scope": f"Tenant_Application/ReadWrite/{client_id}/{tenant_id}",
            "x-ms-throttle-information": "WriteLimitExceeded",
        },
    )
