from __future__ import annotations

from providers.rrsets import same


def test_same_ignores_order_case_dot_and_spacing_but_not_in_txt() -> None:
    assert same("MX", ["10  Mail.Example.com.", "20 b.io"], ("20 b.io", "10 mail.example.com"))
    assert same("CNAME", ["Host.io."], ["host.io"])
    assert not same("TXT", ["V=spf1 -all"], ["v=spf1 -all"])
