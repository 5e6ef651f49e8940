"""Feature references: ``view:feature``, ``view:*``, bare names and on-demand names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pyarrow as pa
import pytest

from modelfleet.errors import FeatureError
from modelfleet.features import Feature, FeatureStore, FeatureView, OnDemandFeature
from modelfleet.features.refs import Refs, ViewRef, resolve_refs

STORES = FeatureView(
    name="stores",
    entities=["store"],
    timestamp="ts",
    features=[Feature(name="size", expr="size"), Feature(name="sales", expr="sales")],
)
ITEMS = FeatureView(
    name="items",
    entities=["item"],
    timestamp="ts",
    features=[Feature(name="price", expr="price"), Feature(name="sales", expr="sales")],
)
VIEWS = {"stores": STORES, "items": ITEMS}
PER_SIZE = OnDemandFeature(name="per_size", expr="stores__sales / size")


def resolve(features: list[str] | None, *, full_names: bool = False) -> Refs:
    return resolve_refs(features, VIEWS, [PER_SIZE], full_names=full_names)


def test_view_colon_feature_reads_that_feature_of_that_view() -> None:
    refs = resolve(["items:sales"])

    assert refs == Refs(views=(ViewRef("items", ("sales",), ("sales",)),), on_demand=())


def test_view_colon_star_reads_every_feature_of_the_view_in_declaration_order() -> None:
    refs = resolve(["stores:*"])

    assert refs.views == (ViewRef("stores", ("size", "sales"), ("size", "sales")),)


def test_a_bare_name_owned_by_one_view_reads_from_that_view() -> None:
    refs = resolve(["price"])

    assert refs.views == (ViewRef("items", ("price",), ("price",)),)


def test_a_bare_name_in_two_views_is_ambiguous_and_names_both() -> None:
    with pytest.raises(FeatureError, match=r"'sales' is ambiguous: views \['stores', 'items'\]"):
        resolve(["sales"])


def test_a_bare_name_no_view_has_is_unknown() -> None:
    with pytest.raises(FeatureError, match=r"'nothing': no view or on-demand feature"):
        resolve(["nothing"])


def test_an_unknown_view_lists_the_views() -> None:
    with pytest.raises(
        FeatureError, match=r"no view named 'shops' \(views: \['items', 'stores'\]\)"
    ):
        resolve(["shops:size"])


def test_an_unknown_feature_lists_the_features_of_its_view() -> None:
    with pytest.raises(
        FeatureError, match=r"view 'items' has no feature 'size' \(it has \['price', 'sales'\]\)"
    ):
        resolve(["items:size"])


def test_an_on_demand_name_selects_the_on_demand_feature() -> None:
    refs = resolve(["per_size"])

    assert refs.views == ()
    assert refs.on_demand == (PER_SIZE,)


def test_no_list_means_every_view_feature_and_every_on_demand_feature() -> None:
    refs = resolve(None, full_names=True)

    assert refs.output_names == (
        "stores__size",
        "stores__sales",
        "items__price",
        "items__sales",
        "per_size",
    )


def test_features_of_one_view_are_grouped_in_the_order_first_asked() -> None:
    refs = resolve(["items:sales", "size", "items:price"])

    assert refs.views == (
        ViewRef("items", ("sales", "price"), ("sales", "price")),
        ViewRef("stores", ("size",), ("size",)),
    )


def test_a_feature_asked_twice_is_read_once() -> None:
    refs = resolve(["price", "items:price", "items:*", "per_size", "per_size"])

    assert refs.output_names == ("price", "sales", "per_size")


def test_full_names_are_view_double_underscore_feature() -> None:
    refs = resolve(["items:price"], full_names=True)

    assert refs.views == (ViewRef("items", ("price",), ("items__price",)),)


def test_one_feature_name_from_two_views_needs_full_names() -> None:
    with pytest.raises(FeatureError, match=r"features \['sales'\] exist in more than one view"):
        resolve(["stores:sales", "items:sales"])


def test_one_feature_name_from_two_views_resolves_with_full_names() -> None:
    refs = resolve(["stores:sales", "items:sales"], full_names=True)

    assert refs.output_names == ("stores__sales", "items__sales")


def test_a_single_string_instead_of_a_list_is_rejected() -> None:
    with pytest.raises(FeatureError, match="must be a list of references"):
        resolve_refs("items:price", VIEWS, [])  # type: ignore[arg-type]


@pytest.mark.parametrize("ref", ["", None])
def test_an_empty_or_non_text_reference_is_rejected(ref: object) -> None:
    with pytest.raises(FeatureError, match="must be non-empty text"):
        resolve_refs([ref], VIEWS, [])  # type: ignore[list-item]


def test_the_store_resolves_references_the_same_way(at: Callable[..., datetime]) -> None:
    stores = pa.table({"store": [1], "ts": [at(0)], "size": [10], "sales": [5.0]})
    items = pa.table({"item": ["x"], "ts": [at(0)], "price": [2.0], "sales": [7.0]})
    store = FeatureStore(
        [
            STORES.model_copy(update={"source": "stores"}),
            ITEMS.model_copy(update={"source": "items"}),
        ],
        tables={"stores": stores, "items": items},
    )
    entities = pa.table({"store": [1], "item": ["x"], "when": [at(1)]})

    result = store.get_historical_features(
        entities, ["price", "stores:*"], timestamp="when", full_names=True
    )

    assert result is not None
    assert result.to_pylist() == [
        {
            "store": 1,
            "item": "x",
            "when": at(1),
            "items__price": 2.0,
            "stores__size": 10,
            "stores__sales": 5.0,
        }
    ]
