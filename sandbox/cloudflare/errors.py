"""Cloudflare v4 errors: every failure is a 4xx/5xx with the v4 envelope (the SDK ignores `success: false` on 200)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class CfError(Exception):
    """An API error with Cloudflare's own code(s)."""

    def __init__(self, status: int, code: int, message: str, *extra: tuple[int, str],
                 headers: dict[str, str] | None = None, chain: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        first: dict[str, Any] = {"code": code, "message": message}
        if chain:
            first["error_chain"] = chain
        self.errors = [first] + [{"code": c, "message": m} for c, m in extra]
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return envelope_error(self.status, self.errors, self.headers)


def envelope(result: Any, *, status: int = 200, messages: list[dict[str, Any]] | None = None,
             result_info: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": messages or [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return JSONResponse(body, status_code=status)


def envelope_error(status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"success": False, "errors": errors, "messages": [], "result": None}
    return JSONResponse(body, status_code=status, headers=headers)


def auth_missing() -> CfError:
    return CfError(403, 10000, "Authentication error")


def auth_invalid() -> CfError:
    return CfError(403, 9109, "Invalid access token")


def bad_route(path: str) -> CfError:
    return CfError(400, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?",
                   (7000, "No route for that URI"))


def zone_not_found() -> CfError:
    return CfError(404, 1001, "Invalid zone identifier")


def zone_exists(name: str) -> CfError:
    return CfError(400, 1061, f"{name} already exists")


def record_not_found() -> CfError:
    return CfError(404, 81044, "Record does not exist.")


def validation(message: str, code: int = 1004) -> CfError:
    return CfError(400, code, message)


def dns_validation(code: int, message: str) -> CfError:
    """A mistyped field: 1004 "DNS Validation Error" with the field's own code in `error_chain`, as real answers
    show it (e.g. 9003 "Invalid 'proxied' value, must be a boolean", captured in public client issues)."""
    return CfError(400, 1004, "DNS Validation Error", chain=[{"code": code, "message": message}])


def cname_conflict_new_cname() -> CfError:
    return CfError(400, 81053, "An A, AAAA, or CNAME record with that host already exists. For more details, refer to "
                   "<https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.")


def cname_conflict_existing_cname() -> CfError:
    return CfError(400, 81054, "A CNAME record with that host already exists. For more details, refer to "
                   "<https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.")


def identical_record() -> CfError:
    # Older captures answer 81057 "The record already exists."; current ones 81058 (clients accept both).
    return CfError(400, 81058, "An identical record already exists.")


def rate_limited(retry_after: float) -> CfError:
    seconds = str(max(1, int(retry_after + 0.999)))
    return CfError(429, 971, "Please wait and consider throttling your request speed", headers={"Retry-After": seconds})
