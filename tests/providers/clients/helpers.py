"""What the client tests do to the sandbox's world directly, as a DNS provider or an admin would (not through the
clients under test): publish RRsets at BIND with the sandbox's TSIG key, and add + verify a domain in a tenant
through the Graph double's raw HTTP API. The sandbox's own tests can use the same helpers."""

from __future__ import annotations

import uuid

import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import httpx

from providers.clients.http import bearer_token
from sandbox.handle import SandboxHandle

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def publish(sandbox: SandboxHandle, zone: str, name: str, rdtype: str, values: list[str]) -> None:
    """Replace an RRset at BIND with a TSIG-signed RFC 2136 update (deletes and adds in one message)."""
    d = sandbox.info["dns"]
    keyring = dns.tsigkeyring.from_text({d["tsig_key_name"]: d["tsig_secret"]})
    update = dns.update.UpdateMessage(zone, keyring=keyring, keyname=d["tsig_key_name"],
                                      keyalgorithm=d["tsig_algorithm"])
    update.replace(f"{name}.", 300, rdtype, *values)
    assert dns.query.tcp(update, d["server"], port=d["port"], timeout=5).rcode() == dns.rcode.NOERROR



def nsupdate(sandbox: SandboxHandle, zone: str, name: str, rdtype: str, *values: str) -> None:
    """Replace (or, without values, delete) an RRset at BIND out of band, as a colleague with the TSIG key would."""
    info = sandbox.info["dns"]
    keyring = dns.tsigkeyring.from_text({info["tsig_key_name"]: info["tsig_secret"]})
    update = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=info["tsig_algorithm"])
    update.delete(name + ".", rdtype)
    for value in values:
        update.add(name + ".", 300, rdtype, value)
    response = dns.query.tcp(update, info["server"], port=int(info["port"]), timeout=5)
    assert response.rcode() == 0


def publish_txt(sandbox: SandboxHandle, zone: str, text: str) -> None:
    """One TXT value at the zone apex."""
    publish(sandbox, zone, zone, "TXT", [f'"{text}"'])


def graph_http(sandbox: SandboxHandle, tenant_id: str) -> httpx.Client:
    """A raw httpx client on the Graph double with an app token for the tenant."""
    token = bearer_token(sandbox.settings, tenant_id, GRAPH_SCOPE, api="test")
    return httpx.Client(base_url=sandbox.endpoints["graph"], verify=sandbox.ca_cert,
                        headers={"Authorization": f"Bearer {token}"})


def verified_domain(sandbox: SandboxHandle, tenant_id: str) -> str:
    """A custom domain added and verified in the tenant through the Graph double (TXT published at BIND)."""
    domain = f"d{uuid.uuid4().hex[:10]}.example"
    sandbox.add_zone(domain)
    with graph_http(sandbox, tenant_id) as g:
        created = g.post("/domains", json={"id": domain})
        assert created.status_code == 201, created.text
        records = g.get(f"/domains/{domain}/verificationDnsRecords").json()["value"]
        txt = next(r["text"] for r in records if r["recordType"].lower() == "txt")
        publish_txt(sandbox, domain, txt)
        verified = g.post(f"/domains/{domain}/verify")
        assert verified.status_code == 200 and verified.json()["isVerified"], verified.text
    return domain


def licensed_mailbox(sandbox: SandboxHandle, tenant_id: str, upn: str, display_name: str | None = None) -> str:
    """A user with an Exchange Online licence added through the Graph double, its mailbox there at once (the
    provisioning delay is 0 meanwhile); returns its object id."""
    with sandbox.mailbox_delay(0), graph_http(sandbox, tenant_id) as g:
        user = g.post("/users", json={
            "accountEnabled": True, "displayName": display_name or upn, "mailNickname": upn.split("@")[0],
            "userPrincipalName": upn, "usageLocation": "US",
            "passwordProfile": {"password": "Xy7!" + uuid.uuid4().hex, "forceChangePasswordNextSignIn": False}})
        assert user.status_code == 201, user.text
        sku = next(s["skuId"] for s in g.get("/subscribedSkus").json()["value"]
                   if s["skuPartNumber"] == "EXCHANGESTANDARD")
        g.post(f"/users/{user.json()['id']}/assignLicense",
               json={"addLicenses": [{"skuId": sku}], "removeLicenses": []}).raise_for_status()
        return str(user.json()["id"])
