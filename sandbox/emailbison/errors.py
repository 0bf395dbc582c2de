"""EmailBison API errors. EmailBison wraps errors in the same `data` envelope as resources:
`{"data": {"success": false, "message", "errors": {field: [..]}}}` (422 validation, as observed and reported by a
public integration; the docs publish no error page). 401 for a missing or wrong Bearer token and 429 + Retry-After
for throttling use the same envelope (their exact text is not documented: clients read `message`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class BisonError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"success": False, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse({"data": body}, status_code=self.status, headers=self.headers)


def unauthenticated() -> BisonError:
    return BisonError(401, "Unauthenticated.")


def invalid(field: str, message: str) -> BisonError:
    return BisonError(422, message, {field: [message]})


def not_found() -> BisonError:
    return BisonError(404, "Sender email not found.")


def throttled(retry_after: float) -> BisonError:
    wait = max(1, int(retry_after + 0.999))
    return BisonError(429, "Too Many Attempts.", headers={"Retry-After": str(wait)})
