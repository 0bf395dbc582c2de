"""The BIND9 launcher: zones at run time, verified updates, the SO_REUSEPORT trap, restart on the same directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from sandbox import bind as bind_mod
from sandbox.bind import NAMESERVERS, Bind, DnsError


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    b = Bind(tmp_path_factory.mktemp("bind"))
    b.start()
    try:
        yield b
    finally:
        b.stop()


def test_zone_has_soa_and_out_of_zone_ns(server: Bind) -> None:
    server.add_zone("alpha.example")
    server.add_zone("alpha.example")  # idempotent
    assert server.has_zone("alpha.example")
    assert not server.has_zone("www.alpha.example")
    assert server.query("alpha.example", "NS") == sorted(NAMESERVERS)
    assert server.query("alpha.example", "SOA")[0].startswith(f"{NAMESERVERS[0]} hostmaster.")
    assert server.query("ns1.sandbox.coldfleet.test", "A") == ["127.0.0.1"]
    resp = dns.query.tcp(dns.message.make_query("alpha.example.", "SOA"), "127.0.0.1", port=server.port, timeout=3)
    assert resp.flags & dns.flags.AA


def test_replace_and_delete_rrsets(server: Bind) -> None:
    server.add_zone("beta.example")
    long_spf = "v=spf1 " + " ".join(f"ip4:10.0.{i}.0/24" for i in range(40)) + " -all"
    assert len(long_spf) > 255
    server.replace_rrset("beta.example", "beta.example", "TXT", 300, [long_spf, "MS=ms12345678"])
    assert server.query("beta.example", "TXT") == sorted([long_spf, "MS=ms12345678"])
    server.replace_rrset("beta.example", "@", "TXT", 300, ["MS=ms12345678"])
    assert server.query("beta.example", "TXT") == ["MS=ms12345678"]
    server.replace_rrset("beta.example", "beta.example", "MX", 3600, ["0 beta-example.mail.protection.outlook.com."])
    assert server.query("beta.example", "MX") == ["0 beta-example.mail.protection.outlook.com"]
    server.replace_rrset("beta.example", "autodiscover", "CNAME", 3600, ["autodiscover.outlook.com"])
    assert server.query("autodiscover.beta.example", "CNAME") == ["autodiscover.outlook.com"]
    server.delete_rrset("beta.example", "autodiscover.beta.example", "CNAME")
    assert server.query("autodiscover.beta.example", "CNAME") == []
    server.delete_rrset("beta.example", "nothing-here", "TXT")  # deleting nothing is fine


def test_update_silently_ignored_by_bind_raises(server: Bind) -> None:
    server.add_zone("gamma.example")
    server.replace_rrset("gamma.example", "www", "CNAME", 300, ["target.example.net"])
    with pytest.raises(DnsError, match="not applied"):
        server.replace_rrset("gamma.example", "www", "TXT", 300, ["hello"])
    assert server.query("www.gamma.example", "TXT") == []


def test_refused_update_raises(server: Bind) -> None:
    server.add_zone("delta.example")
    # Cloudflare serves an in-zone MX target without an address, so the sandbox's zones do not check integrity.
    server.replace_rrset("delta.example", "delta.example", "MX", 300, ["10 mail.delta.example"])
    assert server.query("delta.example", "MX") == ["10 mail.delta.example"]
    server.replace_rrset("delta.example", "sub", "NS", 300, ["ns1.elsewhere.example"])  # read back as a referral
    assert server.query("sub.delta.example", "NS") == ["ns1.elsewhere.example"]
    with pytest.raises(DnsError):  # a name outside every zone
        server.replace_rrset("nowhere.example", "nowhere.example", "TXT", 300, ["x"])


def test_wrong_tsig_secret_raises(tmp_path: Path, server: Bind) -> None:
    other = Bind(tmp_path / "other")  # a different random secret, pointed at the running server
    other.port = server.port
    with pytest.raises(DnsError):
        other.replace_rrset("alpha.example", "x", "TXT", 300, ["y"])


def test_delete_zone_cleans_files(server: Bind) -> None:
    server.add_zone("epsilon.example")
    server.replace_rrset("epsilon.example", "x", "TXT", 300, ["y"])
    server.delete_zone("epsilon.example")
    server.delete_zone("epsilon.example")  # idempotent
    assert not server.has_zone("epsilon.example")
    assert not list((server.dir / "zones").glob("epsilon.example*"))
    assert "epsilon.example" not in server.zones()


def test_readiness_ignores_a_server_already_on_the_port(tmp_path: Path, server: Bind,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """named binds with SO_REUSEPORT: a second instance on a taken port must notice and move."""
    server.add_zone("theta.example")
    real_free_port = bind_mod.free_port
    calls: list[int | None] = []

    def first_taken(preferred: int | None = None) -> int:
        calls.append(preferred)
        return server.port if len(calls) == 1 else real_free_port(None)

    monkeypatch.setattr(bind_mod, "free_port", first_taken)
    second = Bind(tmp_path / "second")
    second.start()
    try:
        assert second.port != server.port
        assert second.query("_ready.sandbox.coldfleet.test", "TXT") != server.query("_ready.sandbox.coldfleet.test",
                                                                                    "TXT")
    finally:
        second.stop()
    assert server.has_zone("theta.example")  # the first one is untouched


def test_restart_on_same_directory_keeps_zones_and_records(tmp_path: Path) -> None:
    first = Bind(tmp_path / "bind")
    first.start()
    try:
        first.add_zone("zeta.example")
        first.replace_rrset("zeta.example", "zeta.example", "TXT", 300, ["kept"])
        secret = first.tsig_secret
    finally:
        first.stop()
    again = Bind(tmp_path / "bind")
    again.start()
    try:
        assert again.tsig_secret == secret
        assert again.has_zone("zeta.example")
        assert again.query("zeta.example", "TXT") == ["kept"]
        again.replace_rrset("zeta.example", "zeta.example", "TXT", 300, ["changed"])
        assert again.query("zeta.example", "TXT") == ["changed"]
    finally:
        again.stop()
    assert not again.running()


def test_values_for_invalid_rdata_raise(server: Bind) -> None:
    with pytest.raises(DnsError, match="invalid"):
        server.replace_rrset("alpha.example", "x", "MX", 300, ["not a number"])
    assert dns.rdatatype.from_text("TXT")  # dnspython import sanity


TOKEN = "our-token"


def _probe(rcode: int, *values: str) -> bind_mod.Probe:
    return bind_mod.Probe(rcode, list(values))


def test_readiness_waits_while_our_named_still_loads_its_zone() -> None:
    """Seen on this machine: the first TCP probe after named opens its port answers SERVFAIL (zone not loaded yet),
    the next ones our token. That batch is our own named starting, not a second server."""
    batch = [_probe(dns.rcode.SERVFAIL), *[_probe(dns.rcode.NOERROR, TOKEN)] * 15]
    assert bind_mod.readiness(batch, TOKEN) is bind_mod.Readiness.LOADING
    assert bind_mod.readiness([_probe(dns.rcode.NOERROR, TOKEN)] * 16, TOKEN) is bind_mod.Readiness.READY


@pytest.mark.parametrize("foreign", [
    _probe(dns.rcode.NOERROR, "another-sandbox-token"),
    _probe(dns.rcode.NOERROR),
    _probe(dns.rcode.REFUSED),
    _probe(dns.rcode.NXDOMAIN),
])
def test_readiness_sees_a_second_server(foreign: bind_mod.Probe) -> None:
    batch = [_probe(dns.rcode.SERVFAIL), foreign, *[_probe(dns.rcode.NOERROR, TOKEN)] * 14]
    assert bind_mod.readiness(batch, TOKEN) is bind_mod.Readiness.FOREIGN


@pytest.mark.slow
def test_named_starts_every_time(tmp_path: Path) -> None:
    """30 fresh starts with one attempt each: a false "another server answers" verdict fails the start."""
    for i in range(30):
        server = Bind(tmp_path / f"bind{i}")
        try:
            server.start(attempts=1)
            assert server.query(bind_mod.READY_NAME, "TXT")
        finally:
            server.stop()
