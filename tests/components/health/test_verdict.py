"""The wear rule on hand-made signals: each input, weight and threshold the module docstring names."""

from __future__ import annotations

import pytest

from components.health.signals import DomainSignals, Finding, MailboxNumbers
from components.health.verdict import RULE, Rule, assess, assess_mailbox

D = "getacme.com"


def clean(**numbers: int | None) -> DomainSignals:
    """A domain every source answered for, with nothing wrong, plus the numbers given."""
    signals = DomainSignals(D, findings=[Finding(D, "dns", "spf", "ok"), Finding(D, "blocklist", "dbl", "ok")])
    for key, value in numbers.items():
        setattr(signals, key, value)
    return signals


def box(local: str, sent: int, bounces: int = 0, complaints: int = 0, replies: int | None = None) -> MailboxNumbers:
    return MailboxNumbers(f"{local}@{D}", sent, bounces, complaints, replies)


def test_clean_domain_is_healthy() -> None:
    v = assess(clean(age_days=400, days_active=30, volume_sent=2000))
    assert (v.verdict, v.score, v.reasons, v.broken, v.unknown) == ("healthy", 0, (), (), ())


@pytest.mark.parametrize("check", ["dbl.spamhaus.org", "restricted-sender"])
def test_a_worn_finding_wears_the_domain_at_once(check: str) -> None:
    signals = clean()
    signals.add(Finding(D, "blocklist", check, "worn", "listed (127.0.1.2)"))
    v = assess(signals)
    assert (v.verdict, v.score) == ("worn", 100)
    assert v.reasons == (f"blocklist {check}: listed (127.0.1.2)",)


@pytest.mark.parametrize(("bounces", "verdict", "score"), [(19, "healthy", 0), (20, "watch", 25), (50, "worn", 60)])
def test_bounce_rate_thresholds(bounces: int, verdict: str, score: float) -> None:
    v = assess_mailbox(box("anna", 1000, bounces=bounces), [])
    assert (v.verdict, v.score) == (verdict, score)


@pytest.mark.parametrize(("complaints", "verdict"), [(0, "healthy"), (1, "watch"), (3, "worn")])
def test_complaint_rate_thresholds(complaints: int, verdict: str) -> None:
    assert assess_mailbox(box("anna", 1000, complaints=complaints), []).verdict == verdict


def test_few_sends_say_nothing() -> None:
    assert assess_mailbox(box("anna", 99, bounces=50, complaints=20), []).verdict == "healthy"


def test_low_reply_rate_only_after_enough_sends() -> None:
    assert assess_mailbox(box("anna", 299, replies=0), []).score == 0
    low = assess_mailbox(box("anna", 300, replies=1), [])
    assert low.score == RULE.low_reply_points and low.reasons == ("reply rate 0.33 % < 0.5 %",)


def test_worn_mailbox_finding_wears_only_that_mailbox() -> None:
    signals = clean()
    signals.mailboxes = [box("anna", 500), box("marco", 500), box("lena", 500)]
    signals.add(Finding(D, "microsoft", "restricted-sender", "worn", "blocked from sending", mailbox=f"marco@{D}"))
    v = assess(signals)
    by = {b.address: b.verdict for b in v.mailboxes}
    assert by == {f"anna@{D}": "healthy", f"marco@{D}": "worn", f"lena@{D}": "healthy"}
    assert (v.verdict, v.score) == ("watch", 25) and v.reasons == (f"worn mailboxes: marco@{D}",)


def test_more_than_half_the_mailboxes_worn_wears_the_domain() -> None:
    signals = clean()
    signals.mailboxes = [box("anna", 500, bounces=40), box("marco", 500, bounces=40), box("lena", 500)]
    v = assess(signals)
    assert v.verdict == "worn" and "2 of 3 mailboxes worn" in v.reasons
    signals.mailboxes[1] = box("marco", 500)
    v = assess(signals)  # 1 of 3: that mailbox is replaced; the domain's summed bounces (2.7 %) put it on watch
    assert v.verdict == "watch"
    assert v.reasons == ("all mailboxes: bounce rate 2.7 % ≥ 2.0 %", f"worn mailboxes: anna@{D}")


def test_domain_sums_its_mailboxes() -> None:
    # each mailbox under min_sent, the domain's sum above it and at 6 % bounces
    signals = clean()
    signals.mailboxes = [box("anna", 60, bounces=4), box("marco", 60, bounces=3)]
    v = assess(signals)
    assert v.verdict == "worn" and v.reasons[0] == "all mailboxes: bounce rate 5.8 % ≥ 5.0 %"
    assert all(b.verdict == "healthy" for b in v.mailboxes)


@pytest.mark.parametrize(("fail", "score"), [(4, 0), (5, 20), (20, 50)])
def test_dmarc_fail_share(fail: int, score: float) -> None:
    assert assess(clean(dmarc_pass=100 - fail, dmarc_fail=fail)).score == score


def test_dmarc_needs_enough_messages() -> None:
    assert assess(clean(dmarc_pass=10, dmarc_fail=80)).score == 0


def test_age_and_use_add_up_to_watch_and_worn() -> None:
    assert assess(clean(days_active=120)).verdict == "healthy"  # 15
    assert assess(clean(days_active=120, age_days=10)).verdict == "watch"  # 15 + 10
    signals = clean(days_active=200, volume_sent=30_000, dmarc_pass=90, dmarc_fail=10)  # 15 + 15 + 20 + 15
    signals.add(Finding(D, "dns", "dkim:selector2", "watch", "answers slowly"))
    v = assess(signals)
    assert (v.verdict, v.score) == ("worn", 65)


def test_broken_and_unknown_are_listed_not_worn() -> None:
    signals = clean()
    signals.add(Finding(D, "dns", "dmarc", "broken", "p=none served, p=quarantine published"))
    signals.add(Finding(D, "blocklist", "zen.spamhaus.org", "unknown", "canary not listed"))
    v = assess(signals)
    assert v.verdict == "healthy"
    assert v.broken == ("dns dmarc: p=none served, p=quarantine published",)
    assert v.unknown == ("blocklist zen.spamhaus.org: canary not listed",)


def test_silence_is_never_healthy() -> None:
    v = assess(DomainSignals(D))
    assert v.unknown == ("no collector reported on this domain",)


def test_rule_from_options() -> None:
    rule = Rule.from_options({"bounce_worn": "0.1", "min_sent": "10", "blocklists": "zen"})
    assert (rule.bounce_worn, rule.min_sent) == (0.1, 10)
    assert assess_mailbox(box("anna", 20, bounces=1), [], rule).verdict == "watch"
    with pytest.raises(ValueError, match="coldfleet:health.min_sent"):
        Rule.from_options({"min_sent": "many"})


def test_a_mailbox_finding_without_numbers_still_judges_that_mailbox() -> None:
    signals = clean()
    signals.add(Finding(D, "microsoft", "restricted-sender", "worn", "blocked", mailbox=f"marco@{D}"))
    v = assess(signals)
    assert [(b.address, b.verdict) for b in v.mailboxes] == [(f"marco@{D}", "worn")]
    assert v.verdict == "worn"  # its only judged mailbox is worn: more than half
    assert assess(signals, mailbox_count=3).verdict == "watch"  # 1 of the domain's 3
    assert assess(signals, mailbox_count=2).verdict == "watch"  # half is not more than half
