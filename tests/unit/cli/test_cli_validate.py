"""``modelfleet validate``: spec errors name the field, ``--data`` checks every tenant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelfleet.data.demo import DemoData

EditSpec = Callable[[Path, Callable[[dict[str, Any]], None]], None]


def test_valid_spec_passes_and_names_the_fleet(cli: Callable[..., Any], demo: DemoData) -> None:
    result = cli("validate", str(demo.spec_path))

    assert result.exit_code == 0, result.output
    assert "valid fleet spec 'demo-retail' (regression)" in result.stdout


def test_valid_spec_with_an_environment_passes(cli: Callable[..., Any], demo: DemoData) -> None:
    assert cli("validate", str(demo.spec_path), "--env", "prod").exit_code == 0


def test_unknown_key_exits_2_naming_the_field_path(
    cli: Callable[..., Any], demo: DemoData, edit_spec: EditSpec
) -> None:
    edit_spec(demo.spec_path, lambda s: s["model"].update(famly="lightgbm"))

    result = cli("validate", str(demo.spec_path))

    assert result.exit_code == 2
    assert "model.famly" in result.stderr
    assert "unknown key" in result.stderr
    assert str(demo.spec_path) in result.stderr
    assert "Traceback" not in result.output


def test_unknown_key_in_a_tenant_override_names_the_tenant(
    cli: Callable[..., Any], demo: DemoData, edit_spec: EditSpec
) -> None:
    edit_spec(demo.spec_path, lambda s: s["tenants"]["overrides"]["3"]["model"].update(parms={}))

    result = cli("validate", str(demo.spec_path))

    assert result.exit_code == 2
    assert "tenants.overrides.3.model.parms" in result.stderr


def test_undeclared_environment_exits_2_listing_the_declared_ones(
    cli: Callable[..., Any], demo: DemoData
) -> None:
    result = cli("validate", str(demo.spec_path), "--env", "qa")

    assert result.exit_code == 2
    assert "'qa'" in result.stderr and "dev" in result.stderr


def test_missing_spec_file_exits_2_naming_the_path(cli: Callable[..., Any], tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "fleet.yaml"

    result = cli("validate", str(missing))

    assert result.exit_code == 2
    assert "no such fleet spec file" in result.stderr
    assert str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_data_flag_reports_every_tenant_ready(cli: Callable[..., Any], demo: DemoData) -> None:
    result = cli("validate", str(demo.spec_path), "--data")

    assert result.exit_code == 0, result.output
    assert "5 tenant(s) ready, 0 failing" in result.stdout


def test_data_flag_exits_1_and_names_the_failing_tenant_and_check(
    cli: Callable[..., Any], demo: DemoData
) -> None:
    lines = demo.sales_path.read_text(encoding="utf-8").splitlines()
    repeat = next(line for line in lines[1:] if line.split(",")[1] == "2")
    demo.sales_path.write_text("\n".join([*lines, repeat]) + "\n", encoding="utf-8")

    result = cli("validate", str(demo.spec_path), "--data")

    assert result.exit_code == 1
    assert "4 tenant(s) ready, 1 failing" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "duplicates" in line)
    assert " 2 " in row and "error" in row


def test_validate_does_not_touch_the_metadata_store(
    cli: Callable[..., Any], demo: DemoData, home: Path
) -> None:
    cli("validate", str(demo.spec_path), "--data")

    assert not home.exists()


def test_a_repeated_key_is_an_error_naming_the_key(cli: Callable[..., Any], demo: DemoData) -> None:
    # YAML parsers keep the last of two equal keys; a lost override block must not be silent.
    text = demo.spec_path.read_text(encoding="utf-8")
    text = text.replace(
        "  overrides:\n",
        '  overrides:\n    "1":\n      model: {params: {num_leaves: 7}}\n'
        '    "1":\n      model: {params: {num_leaves: 9}}\n',
        1,
    )
    demo.spec_path.write_text(text, encoding="utf-8")

    result = cli("validate", str(demo.spec_path))

    assert result.exit_code == 2
    assert "duplicate key '1'" in result.stderr
