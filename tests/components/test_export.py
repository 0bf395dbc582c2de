"""Sequencer hand-off files: exact headers, active domains only, sorted rows, a password on every row (the IMAP/SMTP
import on the password path, the sign-in list on the OAuth path), never an empty password."""

from __future__ import annotations

import csv
import io

import pytest

from components.export import SIGNIN_HEADER, Account, ExportError, notice, render_csv
from components.spec import WarmupSpec

INSTANTLY = (
    "Email,First Name,Last Name,IMAP Username,IMAP Password,IMAP Host,IMAP Port,SMTP Username,SMTP Password,"
    "SMTP Host,SMTP Port,Daily Limit,Warmup Enabled,Warmup Limit,Warmup Increment"
)
SMARTLEAD = (
    "from_name,from_email,user_name,password,smtp_host,smtp_port,imap_host,imap_port,max_email_per_day,"
    "custom_tracking_url,warmup_enabled,total_warmup_per_day,daily_rampup,reply_rate_percentage,bcc,signature,"
    "different_reply_to_address,imap_user_name,imap_password"
)

EMAILBISON = "Name,Email,Password,IMAP Server,IMAP Port,SMTP Server,SMTP Port,Daily Limit,SMTP Secure,IMAP Secure"

ACCOUNTS = [
    Account("zoe@getacme.com", "Zoë", "Keller, Jr.", "active", 7, password="pw-zoe"),
    Account("anna@getacme.com", "Anna", "Keller", "active", 7, password="pw-anna"),
    Account("anna@tryacme.io", "Anna", "Keller", "retiring", 0, password="pw-retiring"),
]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(("sequencer", "header"), [("instantly", INSTANTLY), ("smartlead", SMARTLEAD),
                                                  ("emailbison", EMAILBISON)])
def test_headers_are_exact(sequencer: str, header: str) -> None:
    text = render_csv(sequencer, ACCOUNTS, "password")  # type: ignore[arg-type]
    assert text.split("\r\n", 1)[0] == header


def test_instantly_rows_password_path() -> None:
    out = rows(render_csv("instantly", ACCOUNTS, "password", WarmupSpec(limit=12, increment=2)))
    assert [r["Email"] for r in out] == ["anna@getacme.com", "zoe@getacme.com"]  # sorted, retiring left out
    anna, zoe = out
    assert anna == {
        "Email": "anna@getacme.com", "First Name": "Anna", "Last Name": "Keller", "IMAP Username": "anna@getacme.com",
        "IMAP Password": "pw-anna", "IMAP Host": "outlook.office365.com", "IMAP Port": "993",
        "SMTP Username": "anna@getacme.com", "SMTP Password": "pw-anna", "SMTP Host": "smtp.office365.com",
        "SMTP Port": "587", "Daily Limit": "7", "Warmup Enabled": "TRUE", "Warmup Limit": "12", "Warmup Increment": "2",
    }
    assert zoe["Last Name"] == "Keller, Jr." and zoe["First Name"] == "Zoë"  # quoting round-trips


def test_smartlead_rows() -> None:
    (anna, _zoe) = rows(render_csv("smartlead", ACCOUNTS, "password"))
    assert anna["from_name"] == "Anna Keller" and anna["from_email"] == anna["user_name"] == "anna@getacme.com"
    assert anna["password"] == anna["imap_password"] == "pw-anna"
    assert anna["imap_user_name"] == "anna@getacme.com"
    assert (anna["smtp_host"], anna["smtp_port"], anna["imap_host"], anna["imap_port"]) == (
        "smtp.office365.com", "587", "outlook.office365.com", "993",
    )
    assert anna["max_email_per_day"] == "7" and anna["warmup_enabled"] == "TRUE"


def test_emailbison_rows_password_path() -> None:
    out = rows(render_csv("emailbison", ACCOUNTS, "password"))
    assert [r["Email"] for r in out] == ["anna@getacme.com", "zoe@getacme.com"]  # sorted, retiring left out
    anna, zoe = out
    assert anna == {
        "Name": "Anna Keller", "Email": "anna@getacme.com", "Password": "pw-anna",
        "IMAP Server": "outlook.office365.com", "IMAP Port": "993", "SMTP Server": "smtp.office365.com",
        "SMTP Port": "587", "Daily Limit": "7", "SMTP Secure": "FALSE", "IMAP Secure": "TRUE",
    }
    assert zoe["Name"] == "Zoë Keller, Jr."  # quoting round-trips
    assert "pw-retiring" not in render_csv("emailbison", ACCOUNTS, "password")


def test_emailbison_notice() -> None:
    password = notice("emailbison", "password", "bison.csv")
    assert "/api/sender-emails/bulk" in password and "sender's responsibility" in password
    assert "emailbisonApiKey" in password and "emailbisonEndpoint" in password
    oauth = notice("emailbison", "oauth", "bison.csv")
    assert "Bulk Uploader Tool" in oauth and "sign in" in oauth and "0600" in oauth


@pytest.mark.parametrize("sequencer", ["instantly", "smartlead", "emailbison"])
def test_oauth_path_hands_over_the_sign_in_list(sequencer: str) -> None:
    text = render_csv(sequencer, ACCOUNTS, "oauth")  # type: ignore[arg-type]
    assert text.splitlines()[0] == ",".join(SIGNIN_HEADER)
    assert [(r["Email"], r["Password"]) for r in rows(text)] == [("anna@getacme.com", "pw-anna"),
                                                                ("zoe@getacme.com", "pw-zoe")]
    assert "SMTP" not in text and "pw-retiring" not in text


def test_oauth_plain_csv_carries_the_passwords() -> None:
    assert [r["password"] for r in rows(render_csv("csv", ACCOUNTS, "oauth"))] == ["pw-anna", "pw-zoe"]


@pytest.mark.parametrize("sending", ["oauth", "password"])
def test_a_mailbox_without_password_is_refused(sending: str) -> None:
    with pytest.raises(ExportError, match="anna@getacme.com"):
        render_csv("instantly", [Account("anna@getacme.com", "Anna", "Keller", "active", 7)], sending)  # type: ignore[arg-type]


def test_notice_says_how_and_whose_responsibility() -> None:
    text = notice("instantly", "oauth", "out.csv")
    assert "sign in" in text and "0600" in text and "sender's responsibility" in text
    assert "instantlyApiKey" in notice("instantly", "password", "out.csv")


def test_plain_csv() -> None:
    text = render_csv("csv", ACCOUNTS, "password")
    assert text.startswith(
        "email,first_name,last_name,display_name,domain,daily_limit,smtp_host,smtp_port,imap_host,imap_port,"
        "username,password\r\n"
    )
    (anna, _zoe) = rows(text)
    assert anna["domain"] == "getacme.com" and anna["password"] == "pw-anna" and anna["daily_limit"] == "7"


def test_no_active_mailboxes_gives_just_the_header() -> None:
    assert render_csv("instantly", ACCOUNTS[2:], "password") == INSTANTLY + "\r\n"
    assert render_csv("instantly", ACCOUNTS[2:], "oauth") == ",".join(SIGNIN_HEADER) + "\r\n"
