"""`coldfleet export`'s file: created 0600 (also over an existing, wider file), the format's exact header."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cli.engine import CliError
from cli.export import render, write_private
from components.export import CSV_HEADER, EMAILBISON_HEADER, INSTANTLY_HEADER, SIGNIN_HEADER, SMARTLEAD_HEADER

HANDOFF = {"sequencer": "instantly", "sending": "password", "warmup": {"enabled": True, "limit": 10.0},
           "accounts": [{"email": "anna@getacme.com", "first_name": "Anna", "last_name": "Keller", "status": "active",
                         "daily_limit": 5.0, "password": "pw-anna", "smtp_host": "smtp.office365.com",
                         "smtp_port": 587.0, "imap_host": "outlook.office365.com", "imap_port": 993.0}]}


def test_written_0600_even_over_a_wider_file(tmp_path: Path) -> None:
    out = tmp_path / "handoff.csv"
    out.write_text("old")
    os.chmod(out, 0o644)
    os.umask(0o022)
    write_private(out, "new")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["handoff.csv"]  # no temp file left


@pytest.mark.parametrize(("fmt", "sending", "header"), [
    ("instantly", "password", INSTANTLY_HEADER), ("smartlead", "password", SMARTLEAD_HEADER),
    ("csv", "password", CSV_HEADER), ("instantly", "oauth", SIGNIN_HEADER), ("smartlead", "oauth", SIGNIN_HEADER),
    ("csv", "oauth", CSV_HEADER), ("emailbison", "password", EMAILBISON_HEADER), ("emailbison", "oauth", SIGNIN_HEADER),
])
def test_headers(fmt: str, sending: str, header: tuple[str, ...]) -> None:
    text = render({**HANDOFF, "sending": sending}, fmt)
    first, row = text.split("\r\n")[:2]
    assert first == ",".join(header) and "pw-anna" in row and ".0" not in row  # engine floats made ints again


def test_a_mailbox_without_password_is_a_cli_error() -> None:
    account = dict(HANDOFF["accounts"][0])  # type: ignore[index]
    broken = {**HANDOFF, "accounts": [{**account, "password": None}]}
    with pytest.raises(CliError, match="anna@getacme.com"):
        render(broken, "instantly")
