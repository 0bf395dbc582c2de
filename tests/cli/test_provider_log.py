"""providers.log: the providers' records reach stderr (which the engine shows), warnings by default, secrets masked."""

from __future__ import annotations

import logging

import pytest

from providers import log


def _handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger(log.LOGGER).handlers if type(h).__name__ == "_Handler"]


def test_warnings_reach_stderr_once_however_often_installed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(log.LEVEL_ENV, raising=False)
    log.install()
    log.install()
    assert len(_handlers()) == 1
    logging.getLogger("providers.mailbox").warning("read %s: user is gone", "anna@alpha.com")
    logging.getLogger("providers.mailbox").info("waiting for %s", "anna@alpha.com")
    err = capsys.readouterr().err
    assert err == "warning: providers.mailbox: read anna@alpha.com: user is gone\n"


def test_info_with_verbose_and_secrets_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(log.LEVEL_ENV, "info")
    log.install(secrets=["s3cr3t-value"])
    logging.getLogger("providers.poll").info("still waiting\nfor s3cr3t-value")
    assert capsys.readouterr().err == "info: providers.poll: still waiting | for [secret]\n"
    monkeypatch.setenv(log.LEVEL_ENV, "nonsense")
    log.install()
    assert log.level() == logging.WARNING
