"""The Instantly and Smartlead doubles over HTTPS: auth, validation, login tests, paging, pause/suspend, delete,
analytics, and their 429 + Retry-After under a write quota (error bodies as each vendor documents them)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.handle import SandboxHandle


def domain() -> str:
    return f"seq-{secrets.token_hex(4)}.example"


@pytest.fixture
def instantly(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    key = sandbox.credentials["instantly_api_key"]
    with httpx.Client(base_url=sandbox.endpoints["instantly"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


@pytest.fixture
def smartlead(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.endpoints["smartlead"], verify=sandbox.ca_cert,
                      params={"api_key": sandbox.credentials["smartlead_api_key"]}) as client:
        yield client


def inst_body(email: str, **over: Any) -> dict[str, Any]:
    body = {"email": email, "first_name": "Anna", "last_name": "Keller", "provider_code": 3,
            "imap_username": email, "imap_password": "pw", "imap_host": "outlook.office365.com", "imap_port": 993,
            "smtp_username": email, "smtp_password": "pw", "smtp_host": "smtp.office365.com", "smtp_port": 587,
            "daily_limit": 5}
    return {**body, **over}


def test_instantly_auth(sandbox: SandboxHandle) -> None:
    base = sandbox.endpoints["instantly"]
    missing = httpx.get(f"{base}/accounts", verify=sandbox.ca_cert)
    assert missing.status_code == 401
    assert missing.json() == {"statusCode": 401, "error": "Unauthorized", "message": "Missing Authorization header"}
    wrong = httpx.get(f"{base}/accounts", verify=sandbox.ca_cert, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["message"] == "Invalid API key"


def test_instantly_create_validates_and_records_a_failed_login(instantly: httpx.Client) -> None:
    bad = instantly.post("/accounts", json={k: v for k, v in inst_body("a@x.example").items() if k != "smtp_host"})
    assert bad.status_code == 400 and "smtp_host" in bad.json()["message"]
    email = f"nobody@{domain()}"
    made = instantly.post("/accounts", json=inst_body(email))
    assert made.status_code == 200, made.text
    acc = made.json()
    assert acc["email"] == email and acc["status"] == -1 and "535" in acc["status_message"]
    assert "smtp_password" not in acc and "imap_password" not in acc
    assert instantly.post("/accounts", json=inst_body(email)).status_code == 400  # already exists
    patched = instantly.patch(f"/accounts/{email}", json={"daily_limit": 9})
    assert patched.status_code == 200 and patched.json()["daily_limit"] == 9
    assert instantly.patch(f"/accounts/{email}", json={"password": "x"}).status_code == 400
    assert instantly.post(f"/accounts/{email}/resume").status_code == 400  # errored accounts do not resume
    gone = instantly.delete(f"/accounts/{email}")
    assert gone.status_code == 200 and gone.json()["email"] == email
    missing = instantly.get(f"/accounts/{email}")
    assert missing.status_code == 404 and missing.json()["error"] == "Not Found"


def test_instantly_cursor_paging_and_analytics(instantly: httpx.Client) -> None:
    d = domain()
    emails = sorted(f"u{i}@{d}" for i in range(5))
    for email in emails:
        assert instantly.post("/accounts", json=inst_body(email)).status_code == 200
    seen: list[str] = []
    after: str | None = None
    while True:
        page = instantly.get("/accounts", params={"limit": 2, **({"starting_after": after} if after else {})}).json()
        seen += [a["email"] for a in page["items"]]
        after = page["next_starting_after"]
        if after is None:
            break
    assert [e for e in seen if e.endswith(d)] == emails
    assert instantly.get("/accounts", params={"limit": 101}).status_code == 400
    act = instantly.post("/_sandbox/activity", json={"email": emails[0], "date": "2026-11-30", "sent": 20,
                                                      "bounced": 1, "replies": 2})
    assert act.status_code == 200
    rows = instantly.get("/accounts/analytics/daily", params={"start_date": "2026-11-01", "end_date": "2026-12-31",
                                                              "emails": ",".join(emails)}).json()
    assert [(r["date"], r["email_account"], r["sent"], r["bounced"], r["replies"]) for r in rows] == [
        ("2026-11-30", emails[0], 20, 1, 2)]
    backwards = instantly.get("/accounts/analytics/daily", params={"start_date": "2026-12-31",
                                                                   "end_date": "2026-11-01"})
    assert backwards.status_code == 400 and backwards.json()["message"] == "Start Date must be earlier than End Date"
    for email in emails:
        instantly.delete(f"/accounts/{email}")


def test_instantly_write_quota_is_429_with_retry_after(sandbox: SandboxHandle, instantly: httpx.Client) -> None:
    sandbox.set_faults("instantly", write_quota=1, write_window_s=30)
    email = f"q@{domain()}"
    assert instantly.post("/accounts", json=inst_body(email)).status_code == 200
    throttled = instantly.patch(f"/accounts/{email}", json={"daily_limit": 7})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json() == {"statusCode": 429, "error": "Too Many Requests", "message": "Rate limit exceeded"}


def test_smartlead_auth_and_refusals(sandbox: SandboxHandle, smartlead: httpx.Client) -> None:
    base = sandbox.endpoints["smartlead"]
    assert httpx.get(f"{base}/email-accounts/", verify=sandbox.ca_cert).status_code == 401
    body = {"from_name": "Anna Keller", "from_email": f"nobody@{domain()}", "user_name": "x", "password": "pw",
            "smtp_host": "smtp.office365.com", "smtp_port": 587, "imap_host": "outlook.office365.com",
            "imap_port": 993, "type": "SMTP", "max_email_per_day": 5}
    refused = smartlead.post("/email-accounts/save", json=body)
    assert refused.status_code == 406 and refused.json()["error"] == "ACCOUNT_VERIFICATION_FAILED"
    assert smartlead.post("/email-accounts/save", json={**body, "smtp_port": "587"}).status_code == 400
    assert smartlead.get("/email-accounts/", params={"limit": 101}).status_code == 400
    assert isinstance(smartlead.get("/email-accounts/", params={"offset": 0, "limit": 100}).json(), list)
    assert smartlead.delete("/email-accounts/999999").status_code == 404
    assert smartlead.put("/email-accounts/suspend/999999").status_code == 400


def test_smartlead_write_quota_is_429_with_retry_after(sandbox: SandboxHandle, smartlead: httpx.Client) -> None:
    sandbox.set_faults("smartlead", write_quota=1, write_window_s=30)
    assert smartlead.delete("/email-accounts/999998").status_code == 404  # a write, charged
    throttled = smartlead.delete("/email-accounts/999998")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
