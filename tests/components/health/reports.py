"""DMARC aggregate reports as reporters send them, for the tests: RFC 9990 XML (namespace
urn:ietf:params:xml:ns:dmarc-2.0, version 1.0) or the legacy 2015 shape (no namespace), packed as plain XML, gzip or
zip the way Google, Microsoft and Yahoo attach them."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import UTC, date, datetime, time, timedelta

Row = tuple[str, int, str, str]  # source IP, count, policy_evaluated dkim, spf ("pass" / "fail")


def report_xml(domain: str, rows: list[Row], *, report_id: str, org: str = "google.com", day: date,
               rfc9990: bool = True) -> bytes:
    begin = datetime.combine(day - timedelta(days=1), time(), UTC)
    end = datetime.combine(day, time(), UTC) - timedelta(seconds=1)
    records = "".join(f"""
  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated><disposition>none</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>
    </row>
    <identifiers><envelope_from>{domain}</envelope_from><header_from>{domain}</header_from></identifiers>
    <auth_results>
      <dkim><domain>{domain}</domain><selector>selector1</selector><result>{dkim}</result></dkim>
      <spf><domain>{domain}</domain><result>{spf}</result></spf>
    </auth_results>
  </record>""" for ip, count, dkim, spf in rows)
    head = ('<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">\n  <version>1.0</version>' if rfc9990
            else "<feedback>\n  <version>1.0</version>")
    pct = "" if rfc9990 else "<pct>100</pct>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{head}
  <report_metadata>
    <org_name>{org}</org_name>
    <email>noreply-dmarc-support@{org}</email>
    <report_id>{report_id}</report_id>
    <date_range><begin>{int(begin.timestamp())}</begin><end>{int(end.timestamp())}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>quarantine</p>{pct}
  </policy_published>{records}
</feedback>
""".encode()


def name(org: str, domain: str, report_id: str) -> str:
    return f"{org}!{domain}!{report_id}"


def gz(xml: bytes) -> bytes:
    return gzip.compress(xml)


def zipped(xml: bytes, member: str = "report.xml") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, xml)
    return buf.getvalue()
