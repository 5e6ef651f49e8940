"""Reference profiles: exact bin counts, discrete columns, nulls, and a checked JSON round trip."""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pytest

from modelfleet.errors import PackageError
from modelfleet.training.profiles import (
    bin_index,
    build_profile,
    categorical_profile,
    numeric_profile,
    profile_from_json,
    profile_to_json,
)


def test_numeric_profile_counts_every_value_in_exactly_one_bin() -> None:
    values = np.random.default_rng(0).normal(size=5_000)
    column = numeric_profile("x", values, bins=32)
    assert sum(column.counts) == column.count == 5_000
    assert len(column.counts) == len(column.cuts) + 1
    recount = np.bincount(bin_index(np.array(column.cuts), values), minlength=len(column.counts))
    assert tuple(recount) == column.counts


def test_numeric_profile_bins_hold_about_equal_shares_of_continuous_values() -> None:
    column = numeric_profile("x", np.random.default_rng(1).uniform(size=64_000), bins=64)
    shares = np.array(column.counts[1:]) / column.count  # bin 0 is below the first cut
    assert abs(column.counts[0] - 1_000) <= 1
    assert np.all(np.abs(shares - 1 / 64) < 0.002)


def test_numeric_profile_gives_each_value_of_a_discrete_column_its_own_bin() -> None:
    flags = np.array([0.0] * 700 + [1.0] * 300)
    column = numeric_profile("promo", flags, bins=64)
    assert column.cuts == (0.0, 1.0)
    assert column.counts == (0, 700, 300)


def test_numeric_profile_counts_nan_as_null_and_keeps_min_max_mean_of_finite_values() -> None:
    column = numeric_profile("x", np.array([1.0, np.nan, 3.0, np.nan, 2.0]))
    assert (column.count, column.nulls) == (3, 2)
    assert (column.minimum, column.maximum, column.mean) == (1.0, 3.0, 2.0)
    assert column.null_rate == pytest.approx(0.4)


def test_numeric_profile_of_an_all_null_column_has_one_empty_bin() -> None:
    column = numeric_profile("x", np.full(4, np.nan))
    assert (column.count, column.nulls, column.cuts, column.counts) == (0, 4, (), (0,))
    assert column.minimum is None


def test_numeric_profile_refuses_a_bin_count_outside_its_bounds() -> None:
    with pytest.raises(PackageError, match="between 2 and"):
        numeric_profile("x", np.arange(10.0), bins=1)


def test_categorical_profile_counts_codes_and_treats_unknown_codes_as_null() -> None:
    column = categorical_profile("store_type", np.array([0, 1, 1, 2, np.nan, 7]), categories=3)
    assert column.counts == (1, 2, 1)
    assert (column.count, column.nulls) == (4, 2)


def _profile() -> bytes:
    rng = np.random.default_rng(2)
    features = pa.table({"price": rng.normal(size=200), "kind": rng.integers(0, 3, 200)})
    profile = build_profile(
        fleet="f",
        tenant="t",
        features=features,
        categorical={"kind": 3},
        target_name="sales",
        target=rng.gamma(2.0, size=200),
        predictions=rng.gamma(2.0, size=14),
        bins=16,
    )
    return profile_to_json(profile)


def test_profile_reads_back_equal_from_its_json() -> None:
    blob = _profile()
    profile = profile_from_json(blob)
    assert profile_to_json(profile) == blob
    assert [c.kind for c in profile.features] == ["numeric", "categorical"]
    assert profile.feature("kind").count == 200
    assert profile.predictions.count == 14


def test_profile_names_its_columns_when_asked_for_one_it_lacks() -> None:
    with pytest.raises(PackageError, match=r"no column 'promo' \(it has: price, kind\)"):
        profile_from_json(_profile()).feature("promo")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format=99), "format 99 is not profile format 1"),
        (lambda d: d["features"][0].update(counts=[1, 2]), "cuts but 2 bins"),
        (lambda d: d["features"][1].update(count=5), "do not add up"),
        (lambda d: d["features"][0].update(cuts=d["features"][0]["cuts"][::-1]), "not strictly"),
        (lambda d: d["target"].update(kind="text"), "column kind 'text'"),
        (lambda d: d.pop("predictions"), "damaged profile"),
    ],
)
def test_profile_from_json_refuses_a_damaged_document_saying_what_is_wrong(
    change: object, message: str
) -> None:
    doc = orjson.loads(_profile())
    change(doc)  # type: ignore[operator]
    with pytest.raises(PackageError, match=message):
        profile_from_json(orjson.dumps(doc), where="profile of f/t")


@pytest.mark.parametrize("blob", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
def test_profile_from_json_refuses_what_is_not_a_profile_document(blob: bytes) -> None:
    with pytest.raises(PackageError, match="profile of f/t"):
        profile_from_json(blob, where="profile of f/t")
