"""Response schemas of Cloudflare's OpenAPI description (api-schemas commit 8c9b6cfb, see
/work/shared/reference/cloudflare-openapi.md), transcribed as strict pydantic models for the double's tests.

Transcribed: `*_api-response-common` / `-common-failure` (envelope), `*_messages`, `zones_result_info`,
`zones_zone` (its `required` list and types), `dns-records_dns-record` (response fields) and the zone entrypoint
ruleset answer (`rulesets_Ruleset` with kind, phase and `rulesets_ResponseRules`; redirect parameters per
`rulesets_RedirectRule`). Two quirks of the
reference are applied as it documents them: error bodies are checked against the failure envelope alone, and code
971 (real 429s) is allowed below the description's `minimum: 1000`; `comment` is nullable as real answers show.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(max_length=32)]
When = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")]
ZONE_NAME = r"^([a-zA-Z0-9][\-a-zA-Z0-9]*\.)+[\-a-zA-Z0-9]{2,20}$"  # `zones_name`
ZoneName = Annotated[str, StringConstraints(max_length=253, pattern=ZONE_NAME)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True)  # "true" is not a boolean, "300" not a number


class Message(Strict):
    code: int
    message: str

    @model_validator(mode="after")
    def code_range(self) -> Message:
        assert self.code >= 1000 or self.code == 971, f"code {self.code} below 1000"
        return self


class ResultInfo(Strict):
    page: float
    per_page: float
    count: float
    total_count: float
    total_pages: float | None = None


class Success(Strict):
    success: Literal[True]
    errors: list[Message]
    messages: list[Message]
    result: Any
    result_info: ResultInfo | None = None


class Failure(Strict):
    success: Literal[False]
    errors: Annotated[list[Message], Field(min_length=1)]
    messages: list[Message]
    result: None


class Account(Strict):
    id: Id
    name: str


class Zone(Strict):
    id: Id
    name: ZoneName
    status: Literal["initializing", "pending", "active", "moved"]
    paused: bool
    type: Literal["full", "partial", "secondary"]
    development_mode: float
    owner: dict[str, Any]
    account: Account
    meta: dict[str, Any]
    name_servers: list[str]
    original_name_servers: list[str] | None
    original_registrar: str | None
    original_dnshost: Annotated[str, StringConstraints(max_length=50)] | None
    created_on: When
    modified_on: When
    activated_on: When | None


class Record(Strict):
    id: Id
    zone_id: Id
    zone_name: ZoneName
    name: Annotated[str, StringConstraints(max_length=255)]
    type: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT"]
    content: str
    proxiable: bool
    proxied: bool
    ttl: float
    priority: Annotated[float, Field(ge=0, le=65535)] | None = None
    comment: str | None
    tags: list[str]
    meta: dict[str, Any]
    settings: dict[str, Any]
    created_on: When
    modified_on: When

    @model_validator(mode="after")
    def ttl_range(self) -> Record:
        assert self.ttl == 1 or 30 <= self.ttl <= 86400, f"ttl {self.ttl}"  # `dns-records_ttl`
        return self


Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Version = Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
ACTIONS = Literal["block", "challenge", "compress_response", "ddos_dynamic", "execute", "force_connection_close",
                  "js_challenge", "log", "log_custom_field", "managed_challenge", "redirect", "rewrite", "route",
                  "score", "serve_error", "set_cache_settings", "set_config", "skip"]


class TargetUrl(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")
    value: NonEmpty | None = None
    expression: NonEmpty | None = None

    @model_validator(mode="after")
    def one_of(self) -> TargetUrl:
        assert (self.value is None) != (self.expression is None), "target_url: value or expression"
        return self


class FromValue(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")
    target_url: TargetUrl
    status_code: float | None = None
    preserve_query_string: bool | None = None

    @model_validator(mode="after")
    def status(self) -> FromValue:
        assert self.status_code in (None, 301, 302, 303, 307, 308), f"status_code {self.status_code}"
        return self


class RedirectParameters(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")
    from_value: FromValue | None = None
    from_list: dict[str, Any] | None = None


class Rule(Strict):
    """`rulesets_ResponseRule`: id, expression, action, ref and enabled required, with version and last_updated."""

    model_config = ConfigDict(strict=True, extra="forbid")
    id: Hex32
    ref: NonEmpty
    expression: NonEmpty
    action: ACTIONS
    enabled: bool
    version: Version
    last_updated: When
    description: str = ""
    action_parameters: dict[str, Any] | None = None
    logging: dict[str, Any] | None = None
    categories: list[str] | None = None

    @model_validator(mode="after")
    def redirect(self) -> Rule:
        if self.action == "redirect":
            RedirectParameters.model_validate(self.action_parameters)
        return self


class Ruleset(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")
    id: Hex32
    name: NonEmpty
    description: str
    kind: Literal["managed", "custom", "root", "zone"]
    phase: NonEmpty
    version: Version
    last_updated: When
    rules: list[Rule]


def _result_model(path: str) -> type[Strict] | None:
    parts = path.split("/client/v4/", 1)[-1].strip("/").split("/")
    if parts[0] != "zones" or parts[-1] == "activation_check":
        return None
    if len(parts) > 2 and parts[2] == "rulesets":
        return Ruleset
    return Zone if len(parts) <= 2 else Record


def check(response: httpx.Response) -> None:
    """An httpx response hook: the body conforms to the envelope, and its result to the zone or record schema."""
    response.read()
    body = response.json()
    if response.status_code >= 400:
        Failure.model_validate(body)
        return
    envelope = Success.model_validate(body)
    model = _result_model(response.request.url.path)
    is_delete = response.request.method == "DELETE"
    if model is None or is_delete:
        return
    results = envelope.result if isinstance(envelope.result, list) else [envelope.result]
    if isinstance(envelope.result, list):
        assert envelope.result_info is not None, "a collection without result_info"
    for result in results:
        model.model_validate(result)
