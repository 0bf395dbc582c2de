"""The Exchange admin API's error envelopes (real captures: CIPP issues, EXO v3 module traces)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# ErrIds seen in real captures where known (Ex6F9304: object not found); the others are stable made-up ids.
ERROR_IDS = {
    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException": "Ex6F9304",
    "Microsoft.Exchange.Management.Tasks.ValidationException": "ExB1C0D2",
    "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException": "Ex5A8F31",
    "System.Management.Automation.ParameterBindingException": "Ex9E2A47",
    "System.Management.Automation.CommandNotFoundException": "Ex0C7D19",
}
SERVER = "SA1PR01A001DC001.NAMPR01A001.PROD.OUTLOOK.COM"


class CmdletError(Exception):
    """A cmdlet failure: HTTP status, the envelope's `code`, and the `<ErrId>|<ExceptionType>|<text>` detail."""

    def __init__(self, status: int, code: str, exception_type: str, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.code = code
        self.exception_type = exception_type
        self.text = text

    def body(self) -> dict[str, Any]:
        err_id = ERROR_IDS.get(self.exception_type, "Ex000000")
        return {
            "error": {
                "code": self.code,
                "message": "Error executing cmdlet",
                "details": [{"code": "Client", "target": "", "message": f"{err_id}|{self.exception_type}|{self.text}"}],
                "innererror": {
                    "message": "Error executing cmdlet",
                    "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                    "stacktrace": "",
                    "internalexception": {
                        "message": "Exception of type 'Microsoft.Exchange.Management.PSDirectInvoke."
                        "DirectInvokeCmdletExecutionException' was thrown.",
                        "type": "Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException",
                        "stacktrace": "",
                    },
                },
                "adminapi.warnings@odata.type": "#Collection(String)",
                "@adminapi.warnings": [],
            }
        }


def not_found(identity: str) -> CmdletError:
    return CmdletError(
        404,
        "NotFound",
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        f"The operation couldn't be performed because object '{identity}' couldn't be found on '{SERVER}'.",
    )


def validation(text: str) -> CmdletError:
    return CmdletError(400, "BadRequest", "Microsoft.Exchange.Management.Tasks.ValidationException", text)


def already_exists(text: str) -> CmdletError:
    return CmdletError(400, "BadRequest", "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException", text)


def bad_parameter(cmdlet: str, text: str) -> CmdletError:
    return CmdletError(
        400, "BadRequest", "System.Management.Automation.ParameterBindingException", f"{cmdlet}: {text}"
    )


def unknown_cmdlet(name: str) -> CmdletError:
    return CmdletError(
        400,
        "BadRequest",
        "System.Management.Automation.CommandNotFoundException",
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program.",
    )


def plain(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Gateway-level errors (authentication, throttling) that never reached a cmdlet."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
