"""Microsoft's sending limits refuse a spec before anything is registered, each error naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from components.spec import SpecError, load_spec
from components.spec.limits import EXCHANGE_RECIPIENTS_PER_DAY, terrl


def errors_of(raw: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as info:
        load_spec(raw)
    return str(info.value)


def test_terrl_follows_microsofts_formula() -> None:
    assert terrl(1) == 10_000 and terrl(100) == 22_059
    assert terrl(100, trial=True) == 5_000


def test_daily_cap_above_exchanges_recipient_limit(raw: dict[str, Any]) -> None:
    raw["defaults"]["daily_limit_cap"] = EXCHANGE_RECIPIENTS_PER_DAY + 1
    assert "defaults.daily_limit_cap: 10001 exceeds Exchange Online's recipient rate limit" in errors_of(raw)


def test_planned_volume_above_the_tenant_outbound_limit(raw: dict[str, Any]) -> None:
    raw["defaults"].update(mailboxes=100, daily_limit_cap=300, ramp={"start": 5, "step": 2, "max": 300})
    raw["domains"] = [raw["domains"][0]]
    text = errors_of(raw)  # 100 × 300 = 30,000 against 22,059 less 20 %
    assert "domains[0].mailboxes: 30,000 external recipients a day planned" in text
    assert "tenant of 100 licence(s)'s outbound limit 22,059 less tenant.outbound_headroom 20% = 17,647" in text


def test_a_trial_tenant_and_the_headroom_are_honoured(raw: dict[str, Any]) -> None:
    raw["defaults"].update(mailboxes=100, daily_limit_cap=50, ramp={"start": 5, "step": 2, "max": 50})
    assert load_spec(raw)  # 5,000 a day fits a paid tenant of 100 licences
    raw["tenant"]["trial"] = True
    assert "trial tenant's outbound limit 5,000" in errors_of(raw)
    raw["tenant"]["outbound_headroom"] = 0
    assert load_spec(raw)  # exactly at the limit when no headroom is asked for
    raw["tenant"]["outbound_headroom"] = 1
    assert "tenant.outbound_headroom" in errors_of(raw)


def test_retiring_domains_count_as_licences_not_volume(raw: dict[str, Any]) -> None:
    raw["defaults"].update(mailboxes=100, daily_limit_cap=50, ramp={"start": 5, "step": 2, "max": 50})
    raw["tenant"]["trial"] = True
    for domain in raw["domains"]:
        domain["status"] = "retiring"
    assert load_spec(raw)


@pytest.mark.parametrize("where", ["domains", "spares"])
def test_nothing_sends_from_onmicrosoft(raw: dict[str, Any], where: str) -> None:
    if where == "domains":
        raw["domains"][1]["name"] = "acme123.onmicrosoft.com"
        path = "domains[1].name"
    else:
        raw["spares"] = ["acme123.onmicrosoft.com"]
        path = "spares[0]"
    assert f"{path}: acme123.onmicrosoft.com is a Microsoft initial domain, capped at 100" in errors_of(raw)


def test_dmarc_is_written_without_pct(raw: dict[str, Any]) -> None:
    raw["defaults"]["dmarc"]["pct"] = 50
    assert "defaults.dmarc.pct" in errors_of(raw)
    raw["defaults"]["dmarc"].pop("pct")
    raw["defaults"]["dmarc"]["testing"] = True
    record = load_spec(raw).defaults.dmarc.record()
    assert "t=y" in record and "pct" not in record
