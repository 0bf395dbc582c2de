"""The honest-double test: every property the Graph double returns exists in Microsoft's v1.0 metadata (CSDL) with a
JSON type that fits its Edm type.

Drives the double in-process (Starlette TestClient, a dict-backed DNS) through every endpoint, including a user read
with every selectable property and the bodies inside a $batch answer, then walks each JSON answer against the entity
or complex type the endpoint returns (`@odata.type` where present; annotations are allowed).
"""

from __future__ import annotations

import functools
import re
import struct
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from sandbox.graph import create_app, default_skus, serialize
from sandbox.world import App, Dns, Tenant, Token, User, World

CSDL_CANDIDATES = (
    Path(__file__).parent / "data" / "msgraph-v1.0.csdl",
    # CI clones the repo next to a copy of shared/, as on a developer's machine.
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "msgraph-v1.0.csdl",
    Path("/work/shared/reference/msgraph-v1.0.csdl"),
)
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ERROR_KEYS = {"code", "message", "details", "innerError"}
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"  # directory role template id


@dataclass
class TypeDef:
    kind: str  # entity | complex | enum
    base: str | None = None
    props: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (type, nullable)
    members: set[str] = field(default_factory=set)


class Metadata:
    def __init__(self, path: Path) -> None:
        self.types: dict[str, TypeDef] = {}
        aliases: dict[str, str] = {}
        for schema in ET.parse(path).getroot().iter(f"{EDM}Schema"):
            namespace = schema.get("Namespace", "")
            if schema.get("Alias"):
                aliases[schema.get("Alias", "")] = namespace
            for node in schema:
                tag = node.tag.removeprefix(EDM)
                name = f"{namespace}.{node.get('Name')}"
                if tag == "EnumType":
                    self.types[name] = TypeDef("enum", members={m.get("Name", "") for m in node.iter(f"{EDM}Member")})
                elif tag in ("EntityType", "ComplexType"):
                    tdef = TypeDef("entity" if tag == "EntityType" else "complex", base=node.get("BaseType"))
                    for prop in node:
                        if prop.tag in (f"{EDM}Property", f"{EDM}NavigationProperty"):
                            tdef.props[prop.get("Name", "")] = (prop.get("Type", ""), prop.get("Nullable") != "false")
                    self.types[name] = tdef
        self.aliases = aliases

    def resolve(self, name: str) -> str:
        name = name.removeprefix("#")
        prefix, _, rest = name.partition(".")
        if prefix in self.aliases:
            return f"{self.aliases[prefix]}.{rest}"
        return name

    def props(self, type_name: str) -> dict[str, tuple[str, bool]]:
        chain: dict[str, tuple[str, bool]] = {}
        current: str | None = self.resolve(type_name)
        while current:
            tdef = self.types[current]
            chain = {**tdef.props, **chain}
            current = self.resolve(tdef.base) if tdef.base else None
        return chain

    def derives(self, child: str, parent: str) -> bool:
        current: str | None = self.resolve(child)
        while current:
            if current == self.resolve(parent):
                return True
            base = self.types[current].base
            current = self.resolve(base) if base else None
        return False

    def check(self, value: Any, type_name: str, where: str, nullable: bool = True) -> list[str]:
        """Problems of `value` against the CSDL type (empty when it fits)."""
        if type_name.startswith("Collection("):
            if not isinstance(value, list):
                return [f"{where}: expected a collection, got {value!r}"]
            inner = type_name[len("Collection("):-1]
            return [p for i, item in enumerate(value) for p in self.check(item, inner, f"{where}[{i}]", False)]
        if value is None:
            return [] if nullable else [f"{where}: null for a non-nullable {type_name}"]
        if type_name.startswith("Edm."):
            return [] if _edm_fits(value, type_name) else [f"{where}: {value!r} does not fit {type_name}"]
        resolved = self.resolve(type_name)
        tdef = self.types.get(resolved)
        if tdef is None:
            return [f"{where}: unknown type {type_name}"]
        if tdef.kind == "enum":
            ok = isinstance(value, str) and all(v.strip() in tdef.members for v in value.split(","))
            return [] if ok else [f"{where}: {value!r} is not a member of {resolved}"]
        if not isinstance(value, dict):
            return [f"{where}: expected an object of {resolved}, got {value!r}"]
        return self.check_object(value, resolved, where)

    def check_object(self, value: dict[str, Any], resolved: str, where: str) -> list[str]:
        """Problems of an object against an entity or complex type (or the derived type its @odata.type names)."""
        if "@odata.type" in value:
            actual = self.resolve(value["@odata.type"])
            if actual not in self.types or not self.derives(actual, resolved):
                return [f"{where}: @odata.type {actual} is not {resolved} or derived from it"]
            resolved = actual
        props = self.props(resolved)
        problems = []
        for key, item in value.items():
            if key.startswith("@") or "@" in key:
                continue
            if key not in props:
                problems.append(f"{where}.{key}: no such property on {resolved}")
                continue
            prop_type, prop_nullable = props[key]
            problems += self.check(item, prop_type, f"{where}.{key}", prop_nullable)
        return problems

def _edm_fits(value: Any, edm: str) -> bool:
    if edm in ("Edm.String", "Edm.Binary", "Edm.Stream", "Edm.Duration"):
        return isinstance(value, str)
    if edm == "Edm.Boolean":
        return isinstance(value, bool)
    if edm in ("Edm.Int32", "Edm.Int64", "Edm.Int16", "Edm.Byte"):
        return isinstance(value, int) and not isinstance(value, bool)
    if edm in ("Edm.Double", "Edm.Single", "Edm.Decimal"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if edm == "Edm.Guid":
        return isinstance(value, str) and bool(GUID.match(value))
    if edm == "Edm.DateTimeOffset":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return True
        except (AttributeError, ValueError):
            return False
    if edm in ("Edm.TimeOfDay", "Edm.Date"):
        return isinstance(value, str)
    return False


@functools.lru_cache(maxsize=1)
def _metadata() -> Metadata:
    path = next((p for p in CSDL_CANDIDATES if p.exists()), None)
    if path is None:
        pytest.fail(f"Graph v1.0 CSDL not found in {[str(p) for p in CSDL_CANDIDATES]}")
    return Metadata(path)


@pytest.fixture(scope="session")
def metadata() -> Metadata:
    return _metadata()


class _Dns:
    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}

    def query(self, name: str, rdtype: str) -> list[str]:
        return self.txt.get(name, []) if rdtype == "TXT" else []


@pytest.fixture()
def graph() -> tuple[TestClient, _Dns, World]:
    world = World(mailbox_provisioning_delay_s=0.0)
    tenant = Tenant(id=str(uuid.uuid4()), display_name="Meta", initial_domain="meta.onmicrosoft.com", country="CH")
    tenant.skus.update(default_skus())
    world.tenants[tenant.id] = tenant
    world.apps["app"] = App(client_id="app", client_secret="s", home_tenant_id=tenant.id)
    world.tokens["tok"] = Token("tok", "app", tenant.id, "https://graph.microsoft.com", time.time() + 3600)
    dns = _Dns()
    client = TestClient(create_app(world, cast(Dns, dns)), base_url="https://graph.test",
                        headers={"Authorization": "Bearer tok"})
    return client, dns, world


def _collect(graph: tuple[TestClient, _Dns, World]) -> list[tuple[str, Any, str, bool]]:
    """(what, JSON body, CSDL type, is_collection) for an answer of every endpoint."""
    client, dns, world = graph
    out: list[tuple[str, Any, str, bool]] = []

    def call(what: str, type_name: str, many: bool, method: str, url: str, status: int, **kw: Any) -> Any:
        resp = client.request(method, f"/v1.0{url}", **kw)
        assert resp.status_code == status, (what, resp.status_code, resp.text)
        body = resp.json() if resp.content else None
        if body is not None:
            out.append((what, body, type_name, many))
        return body

    call("organization", "microsoft.graph.organization", True, "GET", "/organization", 200)
    call("security defaults", "microsoft.graph.identitySecurityDefaultsEnforcementPolicy", False, "GET",
         "/policies/identitySecurityDefaultsEnforcementPolicy", 200)
    call("subscribedSkus", "microsoft.graph.subscribedSku", True, "GET", "/subscribedSkus", 200)
    call("create domain", "microsoft.graph.domain", False, "POST", "/domains", 201, json={"id": "meta.example"})
    records = call("verification records", "microsoft.graph.domainDnsRecord", True, "GET",
                   "/domains/meta.example/verificationDnsRecords", 200)
    dns.txt["meta.example"] = [records["value"][0]["text"]]
    call("verify", "microsoft.graph.domain", False, "POST", "/domains/meta.example/verify", 200)
    client.patch("/v1.0/domains/meta.example", json={"supportedServices": ["Email", "OfficeCommunicationsOnline"]})
    call("service records", "microsoft.graph.domainDnsRecord", True, "GET",
         "/domains/meta.example/serviceConfigurationRecords", 200)
    call("domains", "microsoft.graph.domain", True, "GET", "/domains", 200)
    call("domain", "microsoft.graph.domain", False, "GET", "/domains/meta.example", 200)
    user = call("create user", "microsoft.graph.user", False, "POST", "/users", 201, json={
        "accountEnabled": True, "displayName": "Anna Keller", "mailNickname": "anna", "givenName": "Anna",
        "surname": "Keller", "userPrincipalName": "anna@meta.example", "usageLocation": "CH", "jobTitle": "Sales",
        "passwordProfile": {"password": "Sandbox!Pass1", "forceChangePasswordNextSignIn": False},
        "onPremisesExtensionAttributes": {"extensionAttribute15": "coldfleet:test"}})
    uid = user["id"]
    call("assignLicense", "microsoft.graph.user", False, "POST", f"/users/{uid}/assignLicense", 200,
         json={"addLicenses": [{"skuId": "4b9405b0-7788-4568-add1-99614e613b69", "disabledPlans": []}],
               "removeLicenses": []})
    every = ",".join(serialize.user_json(User(id="x", user_principal_name="x@y", display_name="x", mail_nickname="x"),
                                         world.tenants[next(iter(world.tenants))]))
    call("user (every property)", "microsoft.graph.user", False, "GET", f"/users/{uid}?$select={every}", 200)
    call("users", "microsoft.graph.user", True, "GET", "/users?$top=1", 200)
    call("references", "microsoft.graph.directoryObject", True, "GET",
         "/domains/meta.example/domainNameReferences", 200)
    time.sleep(0.01)
    call("mailboxSettings", "microsoft.graph.mailboxSettings", False, "GET", f"/users/{uid}/mailboxSettings", 200)
    call("patch mailboxSettings", "microsoft.graph.mailboxSettings", False, "PATCH", f"/users/{uid}/mailboxSettings",
         200, json={"timeZone": "W. Europe Standard Time", "language": {"locale": "de-CH"}})
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sIIBBBBB", 13, b"IHDR", 48, 48, 8, 2, 0, 0, 0) + b"\0" * 4
    put = client.put(f"/v1.0/users/{uid}/photo/$value", content=png, headers={"Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    call("photo", "microsoft.graph.profilePhoto", False, "GET", f"/users/{uid}/photo", 200)
    batch = call("batch", "", False, "POST", "/$batch", 200, json={"requests": [
        {"id": "1", "method": "GET", "url": f"/users/{uid}?$select={every}"},
        {"id": "2", "method": "GET", "url": "/domains"},
    ]})
    out.pop()  # the envelope itself is not an entity; its bodies are
    for item in batch["responses"]:
        type_name, many = ("microsoft.graph.user", False) if item["id"] == "1" else ("microsoft.graph.domain", True)
        out.append((f"batch item {item['id']}", item["body"], type_name, many))
    client.delete(f"/v1.0/users/{uid}")
    call("deleted users", "microsoft.graph.user", True, "GET", "/directory/deletedItems/microsoft.graph.user", 200)
    call("deleted item", "microsoft.graph.directoryObject", False, "GET", f"/directory/deletedItems/{uid}", 200)
    call("restore", "microsoft.graph.directoryObject", False, "POST", f"/directory/deletedItems/{uid}/restore", 200)
    # admin consent: service principals (first-party ones seeded) and delegated permission grants
    sp_type, grant_type = "microsoft.graph.servicePrincipal", "microsoft.graph.oAuth2PermissionGrant"
    exchange = call("service principals", sp_type, True, "GET",
                    "/servicePrincipals?$filter=appId eq '00000002-0000-0ff1-ce00-000000000000'", 200)["value"][0]
    call("service principals (all)", sp_type, True, "GET", "/servicePrincipals", 200)
    app_sp = call("create service principal", sp_type, False, "POST", "/servicePrincipals", 201,
                  json={"appId": str(uuid.uuid4())})
    call("service principal", sp_type, False, "GET", f"/servicePrincipals/{app_sp['id']}", 200)
    grant = call("create grant", grant_type, False, "POST", "/oauth2PermissionGrants", 201, json={
        "clientId": app_sp["id"], "consentType": "AllPrincipals", "resourceId": exchange["id"], "scope": "SMTP.Send"})
    client.patch(f"/v1.0/oauth2PermissionGrants/{grant['id']}", json={"scope": "IMAP.AccessAsUser.All SMTP.Send"})
    call("grants", grant_type, True, "GET", f"/oauth2PermissionGrants?$filter=clientId eq '{app_sp['id']}'", 200)
    call("grant", grant_type, False, "GET", f"/oauth2PermissionGrants/{grant['id']}", 200)
    # application permissions: appRoles of Microsoft Graph, the calling app's (seeded) appRoleAssignments
    graph_sp = call("graph service principal", sp_type, True, "GET",
                    "/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'", 200)["value"][0]
    assert any(role["value"] == "Domain.ReadWrite.All" for role in graph_sp["appRoles"])
    own = call("own service principal", sp_type, True, "GET", "/servicePrincipals?$filter=appId eq 'app'",
               200)["value"][0]
    held = call("appRoleAssignments", "microsoft.graph.appRoleAssignment", True, "GET",
                f"/servicePrincipals/{own['id']}/appRoleAssignments", 200)
    assert held["value"] and all(a["resourceId"] and a["principalId"] == own["id"] for a in held["value"])
    # GDAP: delegatedAdminRelationships and their requests (approved at once: gdap_approval_delay_s = 0)
    rel_type = "microsoft.graph.delegatedAdminRelationship"
    tenant_id = next(iter(world.tenants))
    rel = call("create relationship", rel_type, False, "POST", "/tenantRelationships/delegatedAdminRelationships",
               201, json={"displayName": "coldfleet-meta", "duration": "P730D", "autoExtendDuration": "P180D",
                          "customer": {"tenantId": tenant_id, "displayName": "Meta"},
                          "accessDetails": {"unifiedRoles": [{"roleDefinitionId": EXCHANGE_ADMIN}]}})
    assert rel["status"] == "created"
    call("lockForApproval", "microsoft.graph.delegatedAdminRelationshipRequest", False, "POST",
         f"/tenantRelationships/delegatedAdminRelationships/{rel['id']}/requests", 201,
         json={"action": "lockForApproval"})
    call("relationship requests", "microsoft.graph.delegatedAdminRelationshipRequest", True, "GET",
         f"/tenantRelationships/delegatedAdminRelationships/{rel['id']}/requests", 200)
    active = call("relationship", rel_type, False, "GET",
                  f"/tenantRelationships/delegatedAdminRelationships/{rel['id']}", 200)
    assert active["status"] == "active" and active["endDateTime"]
    call("relationships", rel_type, True, "GET",
         "/tenantRelationships/delegatedAdminRelationships?$filter=displayName eq 'coldfleet-meta'", 200)
    return out


def test_every_returned_property_exists_in_the_metadata(metadata: Metadata,
                                                        graph: tuple[TestClient, _Dns, World]) -> None:
    answers = _collect(graph)
    problems: list[str] = []
    for what, body, type_name, many in answers:
        assert isinstance(body, dict), what
        assert all(k.startswith("@odata.") for k in body if k.startswith("@")), what
        items = body["value"] if many else [{k: v for k, v in body.items() if k != "@odata.context"}]
        for i, item in enumerate(items):
            problems += metadata.check(item, type_name, f"{what}[{i}]")
    assert not problems, "\n".join(problems)
    assert len(answers) >= 20


def test_error_envelopes_have_the_graph_shape(graph: tuple[TestClient, _Dns, World]) -> None:
    client, _, _ = graph
    for resp in (client.get("/v1.0/users/nobody"), client.get("/v1.0/organization", headers={"Authorization": ""}),
                 client.post("/v1.0/users", json={"displayName": "x"}), client.get("/v1.0/nothing"),
                 client.post("/v1.0/servicePrincipals", json={"appId": "not-an-app"}),
                 client.post("/v1.0/oauth2PermissionGrants", json={"clientId": "x"}),
                 client.delete("/v1.0/oauth2PermissionGrants/nope")):
        error = resp.json()["error"]
        assert set(error) <= ERROR_KEYS and {"code", "message", "innerError"} <= set(error)
        assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
        for detail in error.get("details", []):
            assert set(detail) == {"code", "message", "target"}


def test_the_checker_catches_invented_properties_and_wrong_types(metadata: Metadata) -> None:
    assert metadata.check({"id": "x", "displayName": "y"}, "microsoft.graph.user", "u") == []
    assert metadata.check({"fooBar": 1}, "microsoft.graph.user", "u")
    assert metadata.check({"accountEnabled": "yes"}, "microsoft.graph.user", "u")
    assert metadata.check({"assignedLicenses": [{"skuId": "not-a-guid"}]}, "microsoft.graph.user", "u")
    assert metadata.check({"isVerified": None}, "microsoft.graph.domain", "d")
    assert metadata.check({"@odata.type": "#microsoft.graph.domainDnsMxRecord", "text": "x"},
                          "microsoft.graph.domainDnsRecord", "r")
    assert metadata.check({"userPurpose": "robot"}, "microsoft.graph.mailboxSettings", "m")
