"""Smartlead API v1 errors. Documented shapes (api.smartlead.ai): 429 `{"error": {"code": "RATE_LIMIT_EXCEEDED",
"message", "retry_after"}}` with Retry-After; 406 `ACCOUNT_VERIFICATION_FAILED` when the mailbox login fails; other
refusals `{"ok": false, "message"}` (the exact text of 400/401/404 bodies is not documented: clients read
`message` wherever it is)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from sandbox.endpoints import DoubleError


class SmartleadError(DoubleError):
    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any]
        if self.status == 429:
            body = {"error": {"code": self.code, "message": self.message,
                              "retry_after": int(self.headers.get("Retry-After", "1"))}}
        else:
            body = {"ok": False, "message": self.message, **({"error": self.code} if self.code else {})}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def unauthorized() -> SmartleadError:
    return SmartleadError(401, "Invalid or missing API key")


def bad_request(message: str) -> SmartleadError:
    return SmartleadError(400, message)


def not_found() -> SmartleadError:
    return SmartleadError(404, "Email account not found or you don't have access to it")


def verification_failed(detail: str) -> SmartleadError:
    return SmartleadError(406, f"SMTP or IMAP connection failed: {detail}", "ACCOUNT_VERIFICATION_FAILED")


def throttled(retry_after: float) -> SmartleadError:
    wait = max(1, int(retry_after + 0.999))
    return SmartleadError(429, f"Too many requests. Please retry after {wait} seconds.", "RATE_LIMIT_EXCEEDED",
                          {"Retry-After": str(wait)})
