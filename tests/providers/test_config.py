"""providers.config: stack config > settings file > environment > defaults; retired sandbox keys refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from providers import config
from providers.config import Settings, SettingsError


def getter(values: dict[str, str]) -> Callable[[str], str | None]:
    return values.get


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_defaults_without_any_source() -> None:
    assert config.from_sources(getter({}), {}) == Settings()


def test_precedence_stack_config_then_file_then_environment(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", {"graphEndpoint": "https://file/v1.0", "clientId": "from-file",
                                              "pollInterval": 0.5})
    env = {"COLDFLEET_GRAPH_ENDPOINT": "https://env/v1.0", "AZURE_CLIENT_ID": "from-env",
           "AZURE_CLIENT_SECRET": "env-secret", "COLDFLEET_POLL_INTERVAL": "9"}
    settings = config.from_sources(getter({"settingsFile": str(path), "graphEndpoint": "https://stack/v1.0"}), env)
    assert settings.graph_endpoint == "https://stack/v1.0"  # stack config beats the file
    assert settings.client_id == "from-file"  # the file beats the environment
    assert settings.poll_interval_s == 0.5
    assert settings.client_secret == "env-secret"  # the environment fills what the file leaves out
    assert settings.login_endpoint == Settings().login_endpoint


def test_settings_file_from_the_environment_and_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path / "s.json", {"cloudflare:apiToken": "tok", "purgeDeletedUsers": True, "caBundle": None})
    settings = config.from_sources(getter({}), {"COLDFLEET_SETTINGS_FILE": "~/s.json"})
    assert settings.cloudflare_api_token == "tok" and settings.purge_deleted_users is True
    assert settings.ca_bundle is None
    assert config.from_file(tmp_path / "s.json") == settings
    assert config.from_sources(getter({"settingsFile": "~/s.json"}), {}) == settings


@pytest.mark.parametrize("key", ["sandbox", "sandboxDir"])
def test_retired_sandbox_keys_are_refused_naming_the_settings_file(key: str) -> None:
    with pytest.raises(SettingsError, match="coldfleet:settingsFile") as caught:
        config.from_sources(getter({key: "true"}), {})
    assert f"coldfleet:{key}" in str(caught.value)


def test_retired_sandbox_keys_recorded_in_an_old_state_give_way_to_a_named_settings_file(tmp_path: Path) -> None:
    """A destroy runs with the provider config the last `up` recorded; the CLI names the settings file by env."""
    path = write(tmp_path / "s.json", {"graphEndpoint": "https://127.0.0.1:1/v1.0"})
    settings = config.from_sources(getter({"sandbox": "true"}), {"COLDFLEET_SETTINGS_FILE": str(path)})
    assert settings.graph_endpoint == "https://127.0.0.1:1/v1.0"


@pytest.mark.parametrize(("document", "match"), [
    ({"graphEndpont": "x"}, "unknown keys \\['graphEndpont'\\]"),
    (["graphEndpoint"], "JSON object"),
    ({"clientId": {"nested": 1}}, "string, number or boolean"),
    ({"pollTimeout": "soon"}, "must be a number"),
    ({"providerThreads": 2.5}, "must be a whole number"),
])
def test_malformed_settings_files_are_refused(tmp_path: Path, document: object, match: str) -> None:
    path = write(tmp_path / "bad.json", document)
    with pytest.raises(SettingsError, match=match):
        config.from_file(path)


def test_missing_or_broken_settings_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="missing.json cannot be read"):
        config.from_file(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(SettingsError, match="broken.json is not JSON"):
        config.from_file(tmp_path / "broken.json")


def test_settings_never_show_secrets(tmp_path: Path) -> None:
    path = write(tmp_path / "s.json", {"clientSecret": "very-secret", "tsigSecret": "also-secret"})
    text = repr(config.from_file(path))
    assert "very-secret" not in text and "also-secret" not in text and "***" in text


def test_load_sets_current(tmp_path: Path) -> None:
    path = write(tmp_path / "s.json", {"namecomUsername": "someone"})
    before = config.current()
    try:
        assert config.load(getter({"settingsFile": str(path)}), {}).namecom_username == "someone"
        assert config.current().namecom_username == "someone"
    finally:
        config.use(before)
