from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.errors import ConfigError


def test_minimal_spec_loads_with_defaults(write_spec, minimal_spec: dict[str, Any]) -> None:
    spec = load_spec(write_spec(minimal_spec))
    assert spec.name == "demand"
    assert spec.data_schema.tenant_key == ("store",)
    assert spec.gate_metric == "wmape"
    assert spec.baseline_family == "seasonal_naive"
    assert set(spec.environments) == {"dev", "staging", "prod"}


def test_relative_source_path_resolves_against_spec_folder(write_spec, minimal_spec) -> None:
    path = write_spec(minimal_spec)
    spec = load_spec(path)
    assert spec.source_path(spec.sources[0]) == path.parent.resolve() / "sales.csv"


def test_unknown_key_is_an_error_naming_the_field(write_spec, minimal_spec) -> None:
    minimal_spec["model"] = {"famly": "lightgbm"}
    with pytest.raises(ConfigError) as info:
        load_spec(write_spec(minimal_spec))
    assert "model.famly" in str(info.value)
    assert "unknown key" in str(info.value)
    assert "fleet.yaml" in str(info.value)


def test_missing_required_field_is_named(write_spec, minimal_spec) -> None:
    del minimal_spec["schema"]["target"]
    with pytest.raises(ConfigError, match=r"schema\.target: required field is missing"):
        load_spec(write_spec(minimal_spec))


def test_wrong_type_is_named(write_spec, minimal_spec) -> None:
    minimal_spec["validation"] = {"horizon": "a month"}
    with pytest.raises(ConfigError, match=r"validation\.horizon"):
        load_spec(write_spec(minimal_spec))


def test_lag_shorter_than_horizon_is_rejected_as_leakage(write_spec, minimal_spec) -> None:
    minimal_spec["features"]["lags"] = [7, 28]
    minimal_spec["validation"] = {"horizon": 28}
    with pytest.raises(ConfigError, match=r"lags \[7\].*leakage"):
        load_spec(write_spec(minimal_spec))


def test_covariate_without_declared_type_is_rejected(write_spec, minimal_spec) -> None:
    minimal_spec["features"]["covariates"] = ["price"]
    with pytest.raises(ConfigError, match="price"):
        load_spec(write_spec(minimal_spec))


def test_malformed_yaml_reports_line(write_spec) -> None:
    path = write_spec("name: demand\nschema: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_spec(path)


def test_top_level_list_is_rejected(write_spec) -> None:
    with pytest.raises(ConfigError, match="mapping at the top level"):
        load_spec(write_spec("- a\n- b\n"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such fleet spec file"):
        load_spec(tmp_path / "nope.yaml")


def test_binary_file_is_rejected_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ConfigError, match=r"fleet\.yaml"):
        load_spec(path)


def test_yaml_python_tags_are_not_executed(write_spec) -> None:
    path = write_spec("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_spec(path)


def test_fleet_name_with_slash_is_rejected(write_spec, minimal_spec) -> None:
    minimal_spec["name"] = "../etc"
    with pytest.raises(ConfigError, match="name"):
        load_spec(write_spec(minimal_spec))


def test_environment_overlay_changes_only_that_environment(write_spec, minimal_spec) -> None:
    minimal_spec["model"] = {"params": {"n_estimators": 300, "learning_rate": 0.05}}
    minimal_spec["environments"] = {"dev": {"model": {"params": {"n_estimators": 20}}}, "prod": {}}
    path = write_spec(minimal_spec)
    dev, prod = load_spec(path, "dev"), load_spec(path, "prod")
    assert dev.model.params == {"n_estimators": 20, "learning_rate": 0.05}
    assert prod.model.params == {"n_estimators": 300, "learning_rate": 0.05}
    assert dev.environment == "dev"
    assert dev.config_hash() != prod.config_hash()


def test_undeclared_environment_lists_the_choices(write_spec, minimal_spec) -> None:
    with pytest.raises(ConfigError, match=r"'qa' is not declared.*dev"):
        load_spec(write_spec(minimal_spec), "qa")


def test_environment_overlay_cannot_change_the_schema(write_spec, minimal_spec) -> None:
    minimal_spec["environments"] = {"dev": {"schema": {"target": "x"}}}
    with pytest.raises(ConfigError, match=r"environments.dev.*cannot vary"):
        load_spec(write_spec(minimal_spec))


def test_bad_value_in_environment_overlay_names_the_overlay(write_spec, minimal_spec) -> None:
    minimal_spec["environments"] = {"dev": {"validation": {"horizon": -1}}}
    with pytest.raises(ConfigError, match=r"environments\.dev\.validation\.horizon"):
        load_spec(write_spec(minimal_spec), "dev")


def test_tenant_override_merges_params(write_spec, minimal_spec) -> None:
    minimal_spec["model"] = {"params": {"num_leaves": 31, "n_estimators": 100}}
    minimal_spec["tenants"] = {"overrides": {"7": {"model": {"params": {"num_leaves": 7}}}}}
    spec = load_spec(write_spec(minimal_spec))
    assert spec.for_tenant("7").model.params == {"num_leaves": 7, "n_estimators": 100}
    assert spec.for_tenant("8") is spec


def test_tenant_override_source_replaces_shared_source_by_name(write_spec, minimal_spec) -> None:
    minimal_spec["tenants"] = {
        "overrides": {
            "berlin": {
                "sources": [
                    {
                        "name": "sales",
                        "path": "berlin.csv",
                        "csv": {
                            "delimiter": ";",
                            "decimal": ",",
                            "date_format": "%d.%m.%Y",
                            "encoding": "latin-1",
                        },
                        "columns": {"date": "Datum", "sales": "Umsatz"},
                    }
                ]
            }
        }
    }
    spec = load_spec(write_spec(minimal_spec))
    source = spec.for_tenant("berlin").sources[0]
    assert source.path == "berlin.csv"
    assert source.csv.decimal == ","
    assert source.columns == {"date": "Datum", "sales": "Umsatz"}
    assert spec.tenant_key_values("berlin") == {"store": "berlin"}


def test_invalid_tenant_override_fails_at_load_time(write_spec, minimal_spec) -> None:
    minimal_spec["tenants"] = {"overrides": {"7": {"validation": {"horizon": 0}}}}
    with pytest.raises(ConfigError, match=r"tenants\.overrides\.7\.validation\.horizon"):
        load_spec(write_spec(minimal_spec))


def test_tenant_override_cannot_change_the_task(write_spec, minimal_spec) -> None:
    minimal_spec["tenants"] = {"overrides": {"7": {"task": "binary_classification"}}}
    with pytest.raises(ConfigError, match=r"cannot be overridden per tenant"):
        load_spec(write_spec(minimal_spec))


def test_source_needs_a_location(write_spec, minimal_spec) -> None:
    minimal_spec["sources"] = [{"name": "sales"}]
    with pytest.raises(ConfigError, match="give either 'path'"):
        load_spec(write_spec(minimal_spec))


def test_sql_source_needs_a_query(write_spec, minimal_spec) -> None:
    minimal_spec["sources"] = [{"name": "sales", "url": "sqlite:///x.db"}]
    with pytest.raises(ConfigError, match="needs a 'query'"):
        load_spec(write_spec(minimal_spec))


def test_source_format_is_inferred_from_suffix(write_spec, minimal_spec) -> None:
    minimal_spec["sources"] = [
        {"name": "sales", "path": "a.parquet"},
        {"name": "stores", "kind": "static", "path": "b.csv"},
        {"name": "db", "kind": "covariates", "url": "sqlite:///c.db", "query": "select 1"},
    ]
    formats = [s.resolved_format for s in load_spec(write_spec(minimal_spec)).sources]
    assert formats == ["parquet", "csv", "sql"]


def test_unknown_encoding_is_rejected(write_spec, minimal_spec) -> None:
    minimal_spec["sources"][0]["csv"] = {"encoding": "klingon-8"}
    with pytest.raises(ConfigError, match="unknown text encoding"):
        load_spec(write_spec(minimal_spec))


def test_multi_character_delimiter_is_rejected(write_spec, minimal_spec) -> None:
    minimal_spec["sources"][0]["csv"] = {"delimiter": ";;"}
    with pytest.raises(ConfigError, match="exactly one character"):
        load_spec(write_spec(minimal_spec))


def test_hostile_column_name_is_rejected(write_spec, minimal_spec) -> None:
    minimal_spec["schema"]["columns"] = {'x"; DROP TABLE runs; --': "int"}
    with pytest.raises(ConfigError, match="not a usable column name"):
        load_spec(write_spec(minimal_spec))


def test_config_hash_ignores_description(write_spec, minimal_spec) -> None:
    other = copy.deepcopy(minimal_spec)
    other["description"] = "a different description"
    a = load_spec(write_spec(minimal_spec, "a.yaml"))
    b = load_spec(write_spec(other, "b.yaml"))
    assert a.config_hash() == b.config_hash()


def test_multi_column_tenant_key(write_spec, minimal_spec) -> None:
    minimal_spec["schema"]["tenant_key"] = ["store", "dept"]
    spec = load_spec(write_spec(minimal_spec))
    assert spec.data_schema.tenant_key == ("store", "dept")
    assert spec.tenant_key_values("1-2") is None


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(write_spec) -> None:
    path = write_spec("name: a\nname: b\n")
    with pytest.raises(ConfigError, match=r"line 2.*duplicate key 'name'"):
        load_spec(path)


def test_tenant_id_with_path_characters_is_rejected(write_spec, minimal_spec) -> None:
    minimal_spec["tenants"] = {"include": ["../../etc"]}
    with pytest.raises(ConfigError, match=r"tenant id .* contains ./."):
        load_spec(write_spec(minimal_spec))


def test_override_that_changes_the_family_does_not_inherit_the_fleets_params(
    write_spec, minimal_spec
) -> None:
    minimal_spec["model"] = {"family": "lightgbm", "params": {"num_leaves": 31}}
    minimal_spec["tenants"] = {
        "overrides": {
            "7": {
                "model": {
                    "family": "sklearn:sklearn.linear_model.Ridge",
                    "params": {"alpha": 2.0},
                }
            }
        }
    }
    model = load_spec(write_spec(minimal_spec)).for_tenant("7").model
    assert model.family == "sklearn:sklearn.linear_model.Ridge"
    assert model.params == {"alpha": 2.0}
