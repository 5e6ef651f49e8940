"""Feature references: ``view:feature``, ``view:*``, a bare unique feature name or an on-demand
feature, resolved against the declared views into what to read and how to name it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modelfleet.config.feature_blocks import FeatureViewSpec, OnDemandFeatureSpec
from modelfleet.errors import FeatureError


@dataclass(frozen=True)
class ViewRef:
    """Features to read from one view, in the asked order, with their output column names."""

    view: str
    features: tuple[str, ...]
    output_names: tuple[str, ...]


@dataclass(frozen=True)
class Refs:
    """A resolved feature list: per-view reads plus on-demand features computed after them."""

    views: tuple[ViewRef, ...]
    on_demand: tuple[OnDemandFeatureSpec, ...]

    @property
    def output_names(self) -> tuple[str, ...]:
        """Every output feature column, views first."""
        names = [n for ref in self.views for n in ref.output_names]
        return (*names, *(f.name for f in self.on_demand))


def resolve_refs(
    features: Sequence[str] | None,
    views: Mapping[str, FeatureViewSpec],
    on_demand: Sequence[OnDemandFeatureSpec],
    *,
    full_names: bool = False,
) -> Refs:
    """Resolve references (None = everything) into reads; unknown names are errors."""
    if isinstance(features, str):
        raise FeatureError(f"features must be a list of references, not the string {features!r}")
    demand = {f.name: f for f in on_demand}
    everything = [f"{name}:*" for name in views] + list(demand)
    wanted = everything if features is None else list(features)
    picked: dict[str, list[str]] = {}
    picked_demand: list[OnDemandFeatureSpec] = []
    for ref in wanted:
        if not isinstance(ref, str) or not ref:
            raise FeatureError(f"feature reference {ref!r} must be non-empty text")
        if ref in demand:
            if demand[ref] not in picked_demand:
                picked_demand.append(demand[ref])
            continue
        view_name, colon, feature = ref.partition(":")
        if not colon:
            view_name, feature = _owner_of(ref, views), ref
        view = views.get(view_name)
        if view is None:
            raise FeatureError(
                f"feature reference {ref!r}: no view named {view_name!r} (views: {sorted(views)})"
            )
        names = view.feature_names if feature == "*" else (feature,)
        for name in names:
            if name not in view.feature_names:
                raise FeatureError(
                    f"feature reference {ref!r}: view {view_name!r} has no feature {name!r} "
                    f"(it has {list(view.feature_names)})"
                )
            chosen = picked.setdefault(view_name, [])
            if name not in chosen:
                chosen.append(name)
    refs = tuple(
        ViewRef(
            view=name,
            features=tuple(chosen),
            output_names=tuple(f"{name}__{f}" if full_names else f for f in chosen),
        )
        for name, chosen in picked.items()
    )
    result = Refs(views=refs, on_demand=tuple(picked_demand))
    outputs = result.output_names
    dupes = sorted({n for n in outputs if outputs.count(n) > 1})
    if dupes:
        raise FeatureError(
            f"features {dupes} exist in more than one view; ask for full names (view__feature) "
            "or pick one view's feature"
        )
    return result


def _owner_of(name: str, views: Mapping[str, FeatureViewSpec]) -> str:
    owners = [v.name for v in views.values() if name in v.feature_names]
    if len(owners) == 1:
        return owners[0]
    if not owners:
        raise FeatureError(
            f"feature reference {name!r}: no view or on-demand feature has that name; write "
            "'view:feature'"
        )
    raise FeatureError(
        f"feature reference {name!r} is ambiguous: views {owners} all have it; write 'view:feature'"
    )
