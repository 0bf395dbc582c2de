"""How a blocklist's answer codes read: a refusal or error code is unknown, never clean."""

from __future__ import annotations

from providers.clients.blocklists import DEFAULT_LISTS, classify

DBL, SURBL, URIBL = DEFAULT_LISTS


def test_nxdomain_is_clean() -> None:
    assert classify(DBL, []).state == "clean"


def test_listing_code_is_listed() -> None:
    assert classify(DBL, ["127.0.1.2"]).state == "listed"


def test_spamhaus_error_codes_are_unknown() -> None:
    for code in ("127.255.255.252", "127.255.255.254", "127.255.255.255"):
        answer = classify(DBL, [code])
        assert answer.state == "unknown" and "dbl.spamhaus.org" in answer.detail


def test_uribl_refusal_is_unknown() -> None:
    assert classify(URIBL, ["127.0.0.1"]).state == "unknown"
    assert classify(URIBL, ["127.0.0.2"]).state == "listed"
