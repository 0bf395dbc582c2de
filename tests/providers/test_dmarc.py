"""SPF and DMARC building and validation (offline: checkdmarc with our placeholder resolver)."""

from __future__ import annotations

import pytest
from checkdmarc import utils as cd_utils

from providers.dmarc import (
    M365_SPF_INCLUDE,
    RecordError,
    build_dmarc,
    build_spf,
    is_dmarc,
    is_spf,
    validate_dmarc,
    validate_rua,
    validate_spf,
)


def test_spf_for_m365_is_valid_and_counts_nested_lookups() -> None:
    record = build_spf()
    assert record == f"v=spf1 include:{M365_SPF_INCLUDE} -all"
    assert validate_spf(record, "getacme.com") == 2  # the include and Microsoft's nested spfd include


def test_spf_over_ten_lookups_is_refused() -> None:
    includes = [f"i{i}.io" for i in range(9)] + [M365_SPF_INCLUDE]
    with pytest.raises(RecordError, match="11/10"):
        validate_spf(build_spf(includes), "getacme.com")
    ok = [f"i{i}.io" for i in range(8)] + [M365_SPF_INCLUDE]
    assert validate_spf(build_spf(ok), "getacme.com") == 10


def test_spf_longer_than_one_string_is_refused() -> None:
    record = "v=spf1 " + "ip4:192.0.2.1 " * 20 + "-all"
    with pytest.raises(RecordError, match="255-byte"):
        validate_spf(record, "getacme.com")


def test_spf_syntax_error() -> None:
    with pytest.raises(RecordError, match="invalid SPF"):
        validate_spf("v=spf1 inclde:spf.protection.outlook.com -all", "getacme.com")


def test_offline_validation_leaves_checkdmarc_cache_clean() -> None:
    validate_spf(build_spf(), "getacme.com")
    assert not [k for k in cd_utils.DNS_CACHE.keys() if "protection.outlook.com" in str(k)]


def test_dmarc_rfc9989_tags_in_order() -> None:
    record = build_dmarc(
        "quarantine", ["mailto:dmarc@acme-reports.com", "mailto:x@getacme.com"], sp="reject", adkim="s", testing=True
    )
    assert record == (
        "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=r; "
        "rua=mailto:dmarc@acme-reports.com,mailto:x@getacme.com; t=y"
    )
    tags = validate_dmarc(record, "getacme.com")
    assert tags == {"v": "DMARC1", "p": "quarantine", "sp": "reject", "adkim": "s", "aspf": "r", "t": "y"}
    assert "pct" not in record


def test_dmarc_minimal() -> None:
    record = build_dmarc("none")
    assert record == "v=DMARC1; p=none; adkim=r; aspf=r"
    assert validate_dmarc(record, "getacme.com")["p"] == "none"


@pytest.mark.parametrize(
    "record",
    ["v=DMARC1; p=bogus", "v=DMARC1; p=none; rua=dmarc@getacme.com", "v=spf1 -all", "p=none; v=DMARC1"],
)
def test_dmarc_invalid(record: str) -> None:
    with pytest.raises(RecordError):
        validate_dmarc(record, "getacme.com")


@pytest.mark.parametrize("uri", ["dmarc@getacme.com", "https://example.com/r", "mailto:a@b.com,mailto:c@d.com"])
def test_rua_must_be_one_mailto(uri: str) -> None:
    with pytest.raises(RecordError):
        validate_rua(uri)


def test_rua_ok() -> None:
    assert validate_rua("mailto:dmarc@acme-reports.com") == "mailto:dmarc@acme-reports.com"


def test_is_spf() -> None:
    assert is_spf("v=spf1 -all") and is_spf("V=SPF1 include:x.io -all") and is_spf("v=spf1")
    assert not is_spf("v=spf10") and not is_spf("MS=ms12345678")


def test_is_dmarc() -> None:
    assert is_dmarc("v=DMARC1; p=none") and is_dmarc("v=dmarc1;p=reject")
    assert not is_dmarc("v=spf1 -all") and not is_dmarc("p=none; v=DMARC1")
