"""The public API is what ``modelfleet.__all__`` lists; this pins it so a change is deliberate."""

from __future__ import annotations

import subprocess
import sys

import pytest

import modelfleet

PUBLIC = {
    "Caller",
    "Client",
    "ConfigError",
    "ConflictError",
    "FleetRunRecord",
    "HttpPlane",
    "LocalPlane",
    "MetricFilter",
    "ModelEvent",
    "ModelVersion",
    "ModelfleetError",
    "NotFoundError",
    "Plane",
    "PromotionBatch",
    "PromotionOutcome",
    "RunQuery",
    "SemVer",
    "Signature",
    "SignatureField",
    "TenantRunRecord",
    "UsageError",
    "ValidationReport",
    "VersionQuery",
    "__version__",
    "connect",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(modelfleet.__all__) == PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(modelfleet, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        modelfleet.nope  # noqa: B018


def test_importing_the_package_loads_no_server_or_training_library() -> None:
    heavy = ("fastapi", "lightgbm", "sqlalchemy", "httpx")
    code = f"import sys, modelfleet; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
