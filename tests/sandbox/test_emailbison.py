"""The EmailBison double over HTTPS: Bearer auth, validation in EmailBison's `data` error envelope, a connection
test recorded in `status`, 15-a-page paging with links/meta, the CSV bulk upload that `coldfleet export --format
emailbison` writes, daily limits, delete, and 429 + Retry-After under a write quota."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from components.export import Account, render_csv
from sandbox.handle import SandboxHandle


def domain() -> str:
    return f"eb-{secrets.token_hex(4)}.example"


@pytest.fixture
def bison(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    token = sandbox.credentials["emailbison_api_key"]
    with httpx.Client(base_url=sandbox.endpoints["emailbison"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}) as client:
        yield client


def body(email: str, **over: Any) -> dict[str, Any]:
    return {"name": "Anna Keller", "email": email, "password": "pw", "imap_server": "outlook.office365.com",
            "imap_port": 993, "smtp_server": "smtp.office365.com", "smtp_port": 587, "smtp_secure": False,
            "imap_secure": True, **over}


def all_senders(bison: httpx.Client) -> list[dict[str, Any]]:
    out, page = [], 1
    while True:
        data = bison.get("/sender-emails", params={"page": page}).json()
        out += data["data"]
        if data["links"]["next"] is None:
            return out
        page += 1


def test_auth(sandbox: SandboxHandle) -> None:
    base = sandbox.endpoints["emailbison"]
    missing = httpx.get(f"{base}/sender-emails", verify=sandbox.ca_cert)
    assert missing.status_code == 401
    assert missing.json() == {"data": {"success": False, "message": "Unauthenticated."}}
    wrong = httpx.get(f"{base}/sender-emails", verify=sandbox.ca_cert, headers={"Authorization": "Bearer 1|nope"})
    assert wrong.status_code == 401


def test_create_validates_and_records_the_connection_test(bison: httpx.Client) -> None:
    bad = bison.post("/sender-emails/imap-smtp", json={k: v for k, v in body("a@x.example").items()
                                                       if k != "smtp_server"})
    assert bad.status_code == 422
    assert bad.json()["data"]["errors"] == {"smtp_server": ["The smtp server field is required."]}
    email = f"nobody@{domain()}"
    made = bison.post("/sender-emails/imap-smtp", json=body(email))
    assert made.status_code == 200, made.text
    sender = made.json()["data"]
    assert sender["email"] == email and sender["status"] == "Not connected" and "password" not in sender
    again = bison.post("/sender-emails/imap-smtp", json=body(email))
    assert again.status_code == 422 and again.json()["data"]["message"] == "The email has already been taken."
    patched = bison.patch(f"/sender-emails/{sender['id']}", json={"daily_limit": 0})
    assert patched.status_code == 200 and patched.json()["data"]["daily_limit"] == 0
    assert bison.patch(f"/sender-emails/{sender['id']}", json={"password": "x"}).status_code == 422
    assert bison.get(f"/sender-emails/{sender['id']}").json()["data"]["daily_limit"] == 0
    assert bison.delete(f"/sender-emails/{sender['id']}").json() == {
        "data": {"success": True, "message": "Sender email deleted successfully."}}
    gone = bison.get(f"/sender-emails/{sender['id']}")
    assert gone.status_code == 404 and gone.json()["data"]["success"] is False


def test_pages_of_fifteen_and_the_bulk_csv(bison: httpx.Client) -> None:
    dom = domain()
    accounts = [Account(f"u{i:02d}@{dom}", "U", f"K{i}", "active", 3, password="pw") for i in range(17)]
    csv_text = render_csv("emailbison", accounts, "password")
    up = bison.post("/sender-emails/bulk", files={"csv": ("senders.csv", csv_text.encode(), "text/csv")})
    assert up.status_code == 200, up.text
    made = up.json()["data"]
    assert len(made) == 17 and {s["daily_limit"] for s in made} == {3}
    assert made[0]["name"] == "U K0" and made[0]["smtp_server"] == "smtp.office365.com"
    first = bison.get("/sender-emails").json()
    assert len(first["data"]) <= 15 and first["meta"]["per_page"] == 15 and first["meta"]["current_page"] == 1
    assert first["links"]["first"].endswith("/api/sender-emails?page=1")
    ours = [s for s in all_senders(bison) if s["email"].endswith(dom)]
    assert sorted(s["email"] for s in ours) == [a.email for a in accounts]
    assert bison.get("/sender-emails", params={"page": 0}).status_code == 422
    ids = [s["id"] for s in ours]
    limits = bison.patch("/sender-emails/daily-limits/bulk", json={"sender_email_ids": ids[:2], "daily_limit": 9})
    assert limits.status_code == 200 and bison.get(f"/sender-emails/{ids[0]}").json()["data"]["daily_limit"] == 9
    unknown = bison.patch("/sender-emails/daily-limits/bulk", json={"sender_email_ids": [999999], "daily_limit": 9})
    assert unknown.status_code == 422 and "sender_email_ids.0" in unknown.json()["data"]["errors"]
    broken = "Name,Email\r\nAnna,anna@x.example\r\n"
    refused = bison.post("/sender-emails/bulk", files={"csv": ("s.csv", broken.encode(), "text/csv")})
    assert refused.status_code == 422 and "Row 1" in refused.json()["data"]["message"]
    assert bison.post("/sender-emails/bulk", json={"csv": ""}).status_code == 422
    for sender_id in ids:
        assert bison.delete(f"/sender-emails/{sender_id}").status_code == 200


def test_write_quota_is_429_with_retry_after(sandbox: SandboxHandle, bison: httpx.Client) -> None:
    sandbox.set_faults("emailbison", write_quota=1, write_window_s=30)
    assert bison.delete("/sender-emails/999998").status_code == 404  # a write, charged
    throttled = bison.delete("/sender-emails/999998")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json() == {"data": {"success": False, "message": "Too Many Attempts."}}
    assert bison.get("/sender-emails").status_code == 200  # reads are not charged
