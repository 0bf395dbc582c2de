"""OAuth error bodies as login.microsoftonline.com sends them (flat JSON, `AADSTSnnnnn:` prefix, `error_codes`)."""

from __future__ import annotations

import datetime
import uuid

from starlette.responses import JSONResponse


class OAuthError(Exception):
    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(f"AADSTS{aadsts}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description

    def response(self) -> JSONResponse:
        trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        now = datetime.datetime.now(datetime.UTC)
        timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        body = {
            "error": self.error,
            "error_description": f"AADSTS{self.aadsts}: {self.description} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {timestamp}",
            "error_codes": [self.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.aadsts}",
        }
        return JSONResponse(body, status_code=self.status)


def unknown_tenant(tenant: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the "
                      "correct tenant ID and are signing into the correct cloud.")


def discovery_unknown_tenant(tenant: str) -> OAuthError:
    return OAuthError(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the "
                      "correct tenant ID and are signing into the correct cloud.")


def unknown_app(client_id: str, tenant: str) -> OAuthError:
    return OAuthError(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found "
                      f"in the directory '{tenant}'. This can happen if the application has not been installed by "
                      "the administrator of the tenant or consented to by any user in the tenant.")


def invalid_secret(client_id: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent "
                      f"in the request is the client secret value, not the client secret ID, for a secret added to "
                      f"app '{client_id}'.")


def missing_secret() -> OAuthError:
    return OAuthError(401, "invalid_client", 7000218, "The request body must contain the following parameter: "
                      "'client_assertion' or 'client_secret'.")


def missing_parameter(name: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 900144, f"The request body must contain the following parameter: "
                      f"'{name}'.")


def unsupported_grant(grant: str) -> OAuthError:
    return OAuthError(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                      f"'{grant}'.")


def invalid_scope(scope: str) -> OAuthError:
    return OAuthError(400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid. Client "
                      "credential flows must have a scope value with /.default suffixed to the resource identifier "
                      "(application ID URI).")


def unknown_resource(resource: str, tenant: str) -> OAuthError:
    return OAuthError(400, "invalid_resource", 500011, f"The resource principal named {resource} was not found in "
                      f"the tenant named {tenant}. This can happen if the application has not been installed by the "
                      "administrator of the tenant or consented to by any user in the tenant.")
