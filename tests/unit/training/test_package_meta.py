"""Package metadata: building it from training rows, encoding, and its validated JSON form."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from modelfleet.errors import PackageError, TrainingError
from modelfleet.tracking.signature import Signature, SignatureField
from modelfleet.training.package_meta import (
    FORMAT_VERSION,
    PLAIN_FORMAT,
    PackageMetadata,
    PooledInputs,
    build_vocabulary,
    encode_features,
    metadata_from_json,
    metadata_to_json,
)

DIGEST = "ab" * 32
ROWS = pa.table(
    {
        "date": pa.array([1, 2, 3], pa.int64()).cast(pa.timestamp("us")),
        "region": pa.array(["west", None, "east"]),
        "promo": pa.array([1, 0, 1], pa.int8()),
        "sales": pa.array([1.0, 2.0, 3.0]),
    }
)


def describe(**changes: Any) -> PackageMetadata:
    """Metadata of a model trained on ROWS (region categorical, promo numeric)."""
    fields: dict[str, Any] = {
        "fleet": "demand",
        "tenant": "s1",
        "family": "lightgbm",
        "task": "regression",
        "frequency": "D",
        "horizon": 7,
        "timestamp": "date",
        "target": "sales",
        "feature_columns": ("region", "promo"),
        "categorical": ("region",),
        "feature_views": (("sales_daily", "v3"),),
    }
    fields.update(changes)
    return PackageMetadata.from_training(ROWS, **fields)


def document(**changes: Any) -> dict[str, Any]:
    """The JSON document of ``describe()``, with keys replaced (None deletes one)."""
    doc: dict[str, Any] = json.loads(metadata_to_json(describe(), DIGEST))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def parse(doc: Any) -> tuple[PackageMetadata, str]:
    return metadata_from_json(json.dumps(doc).encode())


def test_from_training_takes_the_vocabulary_and_raw_input_types_from_the_rows() -> None:
    meta = describe()

    assert meta.vocabulary == {"region": ("east", "west")}
    assert meta.signature == Signature(
        (SignatureField("region", "string", True), SignatureField("promo", "int8")),
        SignatureField("sales", "float64"),
    )


def test_json_round_trip_gives_equal_metadata_and_the_estimator_digest() -> None:
    meta = replace(describe(), profile={"rows": 3})

    again, digest = metadata_from_json(metadata_to_json(meta, DIGEST))

    assert again == meta
    assert again.profile == {"rows": 3}
    assert digest == DIGEST


def test_json_keeps_the_keys_and_shapes_older_readers_use() -> None:
    doc = document()

    # A package that is not pooled keeps format 1, so readers of format 1 still load it.
    assert doc["format_version"] == PLAIN_FORMAT
    assert (doc["task"], doc["frequency"]) == ("regression", "D")
    assert doc["vocabulary"] == {"region": ["east", "west"]}
    assert Signature.from_meta(doc) == describe().signature
    assert doc["feature_views"] == {"sales_daily": "v3"}


def test_a_document_without_format_version_reads_as_format_0() -> None:
    meta, digest = parse(document(format_version=None, feature_views=None))

    assert meta == describe(feature_views=())
    assert digest == DIGEST


def test_format_1_requires_feature_views() -> None:
    with pytest.raises(PackageError, match=r"\(format 1\) lacks field 'feature_views'"):
        parse(document(feature_views=None))


@pytest.mark.parametrize("field", ["family", "task", "vocabulary", "signature", "model_digest"])
def test_a_missing_field_is_named(field: str) -> None:
    with pytest.raises(PackageError, match=f"lacks field '{field}'"):
        parse(document(**{field: None}))


@pytest.mark.parametrize(
    ("field", "value", "wanted"),
    [
        ("horizon", "7", "an integer >= 1"),
        ("horizon", True, "an integer >= 1"),
        ("task", "ranking", "one of regression, binary_classification"),
        ("frequency", "1d", "one of D, W"),
        ("feature_columns", "region", "a list of text"),
        ("vocabulary", {"region": "east"}, "an object of column -> list of text"),
        ("feature_views", ["sales_daily"], "an object of view name -> version"),
        ("model_digest", "abc", "a sha256 hex digest"),
        ("profile", [1, 2], "an object or absent"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_with_what_was_found(
    field: str, value: Any, wanted: str
) -> None:
    with pytest.raises(PackageError, match=f"field '{field}' must be {wanted}, got"):
        parse(document(**{field: value}))


def test_a_malformed_signature_is_reported_as_a_package_error_naming_the_field() -> None:
    with pytest.raises(PackageError, match="field 'signature' is not a signature"):
        parse(document(signature={"inputs": "region"}))


def test_an_unknown_format_version_is_refused_with_an_upgrade_hint() -> None:
    unknown = FORMAT_VERSION + 1
    with pytest.raises(PackageError, match=rf"format_version {unknown}.*upgrade modelfleet"):
        parse(document(format_version=FORMAT_VERSION + 1))


def test_a_non_integer_format_version_is_refused() -> None:
    with pytest.raises(PackageError, match="'format_version' must be an integer"):
        parse(document(format_version="1"))


def test_malformed_json_is_refused() -> None:
    with pytest.raises(PackageError, match="not valid JSON"):
        metadata_from_json(b'{"task": ')


def test_json_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(PackageError, match="must be a JSON object, got list"):
        metadata_from_json(b"[1, 2]")


def test_a_categorical_column_without_vocabulary_is_an_inconsistency() -> None:
    with pytest.raises(PackageError, match="inconsistent: vocabulary covers \\[\\]"):
        parse(document(vocabulary={}))


def test_signature_inputs_must_be_the_feature_columns_in_order() -> None:
    with pytest.raises(PackageError, match=r"signature inputs .* differ from the feature columns"):
        parse(document(feature_columns=["promo", "region"]))


def test_build_vocabulary_is_sorted_and_ignores_nulls() -> None:
    table = pa.table({"region": ["west", None, "east", "west"]})

    assert build_vocabulary(table, ("region",)) == {"region": ("east", "west")}


def test_encode_maps_unknown_and_missing_categories_to_null_and_numbers_to_float64() -> None:
    table = pa.table({"region": ["b", "zzz", None, "a"], "promo": [1, 0, 1, 0]})

    encoded = encode_features(table, ("region", "promo"), ("region",), {"region": ["a", "b"]})

    assert encoded["region"].to_pylist() == [1, None, None, 0]
    assert encoded["promo"].type == pa.float64()


def test_encode_runs_one_arrow_kernel_per_column_whatever_the_row_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    index_in = pc.index_in

    def counting(values: Any, **kwargs: Any) -> Any:
        calls.append(len(values))
        return index_in(values, **kwargs)

    monkeypatch.setattr(pc, "index_in", counting)
    rows = pa.table({"region": ["east", "west"] * 50_000, "promo": [1, 0] * 50_000})

    encoded = describe().encode(rows)

    assert calls == [100_000]  # one call over the whole column, not one per row
    assert encoded["region"].to_pylist()[:2] == [0, 1]


def test_encode_names_missing_feature_columns() -> None:
    with pytest.raises(TrainingError, match=r"rows lack feature columns \['promo'\]"):
        describe().encode(pa.table({"region": ["east"]}))


def test_decode_categories_undoes_encode() -> None:
    meta = describe()
    rows = pa.table({"region": ["west", "east", "north"], "promo": [1.0, 0.0, 1.0]})

    decoded = meta.decode_categories(meta.encode(rows))

    assert decoded["region"].to_pylist() == ["west", "east", None]  # north was never seen
    assert decoded["promo"].to_pylist() == [1.0, 0.0, 1.0]


def pooled_inputs(**changes: Any) -> PooledInputs:
    """Pooled inputs of a tenant with mean sales 250 and one attribute."""
    fields: dict[str, Any] = {"scale": 250.0, "scaled": ("promo",), "attributes": {"kind": 2.0}}
    fields.update(changes)
    return PooledInputs(**fields)


def test_pooled_inputs_round_trip_through_json_as_format_2() -> None:
    meta = replace(describe(), pooled=pooled_inputs())

    blob = metadata_to_json(meta, DIGEST)
    again, _ = metadata_from_json(blob)

    assert json.loads(blob)["format_version"] == FORMAT_VERSION == 2
    assert again.pooled == meta.pooled


@pytest.mark.parametrize("scale", [0.0, -3.0, float("nan"), float("inf")])
def test_a_pooled_scale_that_is_not_positive_is_refused(scale: float) -> None:
    with pytest.raises(PackageError, match="pooled scale must be a positive number"):
        pooled_inputs(scale=scale)


def test_pooled_scaled_columns_must_be_feature_columns() -> None:
    with pytest.raises(PackageError, match=r"pooled scaled columns \['lag_9'\]"):
        replace(describe(), pooled=pooled_inputs(scaled=("lag_9",)))


@pytest.mark.parametrize(
    ("pooled", "field"),
    [
        ({"scale": "big", "scaled": [], "attributes": {}}, "pooled.scale"),
        ({"scale": 1.0, "scaled": "promo", "attributes": {}}, "pooled.scaled"),
        ({"scale": 1.0, "scaled": [], "attributes": {"kind": "A"}}, "pooled.attributes"),
        ([1, 2], "pooled"),
    ],
)
def test_a_malformed_pooled_block_names_its_field(pooled: Any, field: str) -> None:
    with pytest.raises(PackageError, match=f"field '{field}' must be"):
        parse(document(pooled=pooled))
