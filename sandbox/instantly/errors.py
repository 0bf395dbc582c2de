"""Instantly API v2 errors: `{"statusCode", "error", "message"}` with the HTTP status (Fastify's error shape, as
developer.instantly.ai shows it for 400, 401, 404 and 429)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from sandbox.endpoints import DoubleError

REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}


class InstantlyError(DoubleError):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}

    def response(self) -> JSONResponse:
        body = {"statusCode": self.status, "error": REASONS.get(self.status, "Error"), "message": self.message}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def unauthorized(message: str = "Invalid API key") -> InstantlyError:
    return InstantlyError(401, message)


def bad_request(message: str) -> InstantlyError:
    return InstantlyError(400, message)


def not_found(message: str = "Account not found") -> InstantlyError:
    return InstantlyError(404, message)


def throttled(retry_after: float) -> InstantlyError:
    return InstantlyError(429, "Rate limit exceeded", {"Retry-After": str(max(1, int(retry_after + 0.999)))})
