from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.config.settings import Settings
from modelfleet.errors import ConfigError


def test_defaults_live_under_home_in_cwd(tmp_path: Path) -> None:
    settings = Settings.from_env({}, cwd=tmp_path)
    assert settings.home == tmp_path / ".modelfleet"
    assert settings.store_url == f"sqlite:///{tmp_path / '.modelfleet' / 'modelfleet.db'}"
    assert settings.artifacts_url == str(tmp_path / ".modelfleet" / "artifacts")
    assert settings.workers >= 1


def test_urls_from_environment_win(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MODELFLEET_STORE_URL": "postgresql://db/x",
            "MODELFLEET_ARTIFACTS_URL": "s3://b/p",
            "MODELFLEET_WORKERS": "3",
        },
        cwd=tmp_path,
    )
    assert (settings.store_url, settings.artifacts_url, settings.workers) == (
        "postgresql://db/x",
        "s3://b/p",
        3,
    )


@pytest.mark.parametrize("value", ["many", "-1", "0", "2.5"])
def test_bad_worker_count_names_the_variable(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MODELFLEET_WORKERS"):
        Settings.from_env({"MODELFLEET_WORKERS": value}, cwd=tmp_path)


def test_overrides_replace_only_given_fields(tmp_path: Path) -> None:
    base = Settings.for_home(tmp_path)
    changed = base.with_overrides(workers=5)
    assert changed.workers == 5
    assert changed.store_url == base.store_url


def test_executor_defaults_to_the_process_pool(tmp_path: Path) -> None:
    assert Settings.from_env({}, cwd=tmp_path).executor == "process"


def test_executor_comes_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"MODELFLEET_EXECUTOR": " inline "}, cwd=tmp_path)

    assert settings.executor == "inline"


def test_executor_override_wins_over_the_environment(tmp_path: Path) -> None:
    base = Settings.from_env({"MODELFLEET_EXECUTOR": "inline"}, cwd=tmp_path)

    assert base.with_overrides(executor="process").executor == "process"
    assert base.with_overrides(workers=2).executor == "inline"


def test_sqlite_durability_defaults_to_full_and_leaves_the_url_as_is(tmp_path: Path) -> None:
    settings = Settings.from_env({"MODELFLEET_HOME": str(tmp_path)})
    assert settings.sqlite_synchronous == "full"
    assert "synchronous" not in settings.store_url


def test_sqlite_synchronous_normal_is_carried_in_the_store_url(tmp_path: Path) -> None:
    env = {"MODELFLEET_HOME": str(tmp_path), "MODELFLEET_SQLITE_SYNCHRONOUS": "normal"}
    settings = Settings.from_env(env)
    assert settings.store_url.endswith("modelfleet.db?synchronous=normal")


def test_sqlite_synchronous_reaches_a_store_url_given_as_an_override(tmp_path: Path) -> None:
    env = {"MODELFLEET_HOME": str(tmp_path), "MODELFLEET_SQLITE_SYNCHRONOUS": "normal"}
    settings = Settings.from_env(env).with_overrides(store_url="sqlite:///x.db")
    assert settings.store_url == "sqlite:///x.db?synchronous=normal"


def test_sqlite_synchronous_leaves_postgresql_urls_alone(tmp_path: Path) -> None:
    env = {
        "MODELFLEET_SQLITE_SYNCHRONOUS": "normal",
        "MODELFLEET_STORE_URL": "postgresql://u@h/db",
    }
    assert Settings.from_env(env, cwd=tmp_path).store_url == "postgresql://u@h/db"


def test_bad_sqlite_synchronous_names_the_variable_and_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"MODELFLEET_SQLITE_SYNCHRONOUS='off'.*full.*normal"):
        Settings.from_env({"MODELFLEET_SQLITE_SYNCHRONOUS": "off"}, cwd=tmp_path)
