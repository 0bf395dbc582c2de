"""`coldfleet new-client`: a valid stack file from the template, never overwriting, refusing what would not deploy."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cli.engine import CliError
from cli.main import main
from cli.new_client import create
from components.spec import load_spec


def test_writes_a_stack_file_the_program_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["new-client", "globex", "--primary-domain", "globex.com", "--residency", "ch",
                 "--domain", "mail-globex.com", "--project-dir", str(tmp_path)])
    assert code == 0
    document = yaml.safe_load((tmp_path / "Pulumi.globex.yaml").read_text())
    spec = load_spec(document["config"]["coldfleet:fleet"])
    assert spec.client == "globex" and spec.residency == "ch" and [d.name for d in spec.domains] == ["mail-globex.com"]
    assert "coldfleet:sandbox" not in document["config"]  # a real client's stack
    out = capsys.readouterr().out
    assert "--secret coldfleet:clientSecret" in out and "--secret cloudflare:apiToken" in out


def test_never_overwrites_and_refuses_invalid_input(tmp_path: Path) -> None:
    create(tmp_path, "acme", "acme.com", "eu", ["mail-acme.com"], sandbox=True)
    with pytest.raises(CliError, match="never overwritten"):
        create(tmp_path, "acme", "acme.com", "eu", ["mail-acme.com"], sandbox=True)
    with pytest.raises(CliError, match=r"domains\[0\]\.name"):
        create(tmp_path, "other", "acme.com", "eu", ["mail.acme.com"], sandbox=False)
    with pytest.raises(CliError, match="client 'Bad Name'"):
        create(tmp_path, "Bad Name", "acme.com", "eu", [], sandbox=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.acme.yaml"]
