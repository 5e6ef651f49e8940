"""Request records through the fleet's PII policy: per spec, the key read once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.data.pii import MASK
from modelfleet.errors import ConfigError
from modelfleet.scoring.pii import scrub_records

KEY = "scoring-test-key-0123456789abcdef"


def _spec(folder: Path, pii: dict[str, Any] | None) -> FleetSpec:
    data: dict[str, Any] = {
        "name": "shop",
        "schema": {
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"email": "str", "phone": "str"},
        },
        "sources": [{"name": "sales", "path": "sales.csv"}],
    }
    if pii is not None:
        data["pii"] = pii
    return parse_spec(data, base_dir=folder, file_label="fleet.yaml")


def test_records_pass_as_sent_without_a_spec() -> None:
    assert scrub_records(None, [{"email": "a@b.c"}]) == [{"email": "a@b.c"}]


def test_records_pass_as_sent_when_the_spec_declares_no_pii(tmp_path: Path) -> None:
    assert scrub_records(_spec(tmp_path, None), [{"email": "a@b.c"}]) == [{"email": "a@b.c"}]


def test_a_masked_field_is_masked_before_scoring(tmp_path: Path) -> None:
    spec = _spec(tmp_path, {"columns": {"phone": "mask"}})

    assert scrub_records(spec, [{"phone": "+49 30 1"}]) == [{"phone": MASK}]


def test_the_key_file_is_read_once_per_spec(tmp_path: Path) -> None:
    key = tmp_path / "pii.key"
    key.write_text(KEY)
    spec = _spec(tmp_path, {"columns": {"email": "hash"}, "key_file": "pii.key"})
    first = scrub_records(spec, [{"email": "a@b.c"}])
    key.unlink()

    assert scrub_records(spec, [{"email": "a@b.c"}]) == first


def test_a_missing_key_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    spec = _spec(tmp_path, {"columns": {"email": "hash"}, "key_file": "absent.key"})

    with pytest.raises(ConfigError, match=r"pii\.key_file: .*absent\.key"):
        scrub_records(spec, [{"email": "a@b.c"}])
