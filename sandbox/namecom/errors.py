"""Name.com Core API errors: `{message, details?}` with the HTTP status."""

from __future__ import annotations

from starlette.responses import JSONResponse

from sandbox.endpoints import DoubleError


class NcError(DoubleError):
    def __init__(self, status: int, message: str, details: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"message": self.message}
        if self.details:
            body["details"] = self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def unauthenticated() -> NcError:
    return NcError(401, "Unauthenticated")


def not_json() -> NcError:
    return NcError(403, "Permission Denied", "Content-Type must be application/json")


def not_found() -> NcError:
    return NcError(404, "Not Found", "Domain not found")


def invalid(details: str) -> NcError:
    return NcError(400, "Invalid Argument", details)


def throttled(retry_after: float) -> NcError:
    return NcError(429, "Too Many Requests", headers={"Retry-After": str(max(1, int(retry_after + 0.999)))})
