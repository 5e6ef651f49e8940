"""A drift window read from a real prediction log of a trained demo fleet: live versions only,
inputs encoded as the packages encode them, one broken profile never stopping the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from modelfleet.monitoring.drift import fleet_drift
from modelfleet.monitoring.windows import live_window
from modelfleet.registry.reads import ArtifactStores


def _window(logged: Any) -> Any:
    client = logged.client
    return live_window(
        logged.store,
        ArtifactStores(client.settings.artifacts_url),
        logged.fleet,
        "dev",
        logged.since,
        logged.until,
    )


def test_the_window_holds_the_live_versions_rows_and_counts_the_others(logged: Any) -> None:
    live = _window(logged)

    assert live.window.tenants == logged.tenants
    assert not live.left_out
    per_tenant = np.bincount(live.window.tenant_index, minlength=len(logged.tenants))
    assert live.other_rows * logged.repeats == per_tenant.sum()  # one shadow copy per tenant
    assert live.logged_rows == live.other_rows + per_tenant.sum()


def test_the_logged_inputs_are_encoded_as_each_package_encodes_them(
    logged: Any, holdout_of: Any
) -> None:
    live = _window(logged)
    tenant = logged.tenants[1]
    package, records, _ = holdout_of(logged.client, f"{logged.fleet}/{tenant}")
    expected = package.meta.encode(_table(records))
    rows = live.window.tenant_index == live.window.tenants.index(tenant)

    for name in package.meta.feature_columns:
        found = live.window.columns[name][rows][: len(records)]
        wanted = expected[name].to_numpy(zero_copy_only=False).astype(float)
        assert np.allclose(found, wanted, equal_nan=True), name


def test_drift_over_the_window_finds_the_tenant_whose_inputs_jumped(logged: Any) -> None:
    result = fleet_drift(_window(logged).window)

    jumped = result.tenant(logged.tenants[0])
    assert jumped.drifted and jumped.tested > 0
    assert jumped.share > 0.5


def test_a_damaged_profile_leaves_its_tenant_out_with_the_reason_and_keeps_the_rest(
    logged: Any, tmp_path: Path
) -> None:
    client = logged.client
    tenant = logged.tenants[-1]
    version = client.resolve(f"{logged.fleet}/{tenant}@dev")
    run = logged.store.get_run(version.run_id or "")
    (profile,) = [a for a in run.artifacts if a.name == "profile"]
    path = Path(profile.uri.removeprefix("file://"))
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-5] + b"xxxxx")
        live = _window(logged)
    finally:
        path.write_bytes(original)

    assert tenant not in live.window.tenants
    assert "sha256" in live.left_out[tenant] or "damaged" in live.left_out[tenant]
    assert set(live.window.tenants) == set(logged.tenants) - {tenant}


def _table(records: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(records)
