"""The feature store: feature views declared once, read point-in-time correct for training and
from an online store (SQLite file by default, Redis by URL) for serving.

The definition classes are the fleet spec's own blocks, so a view written in Python and one in
``fleet.yaml`` are the same object.
"""

from __future__ import annotations

from modelfleet.config.feature_blocks import FeatureSpec as Feature
from modelfleet.config.feature_blocks import FeatureViewSpec as FeatureView
from modelfleet.config.feature_blocks import FileSourceSpec as FileSource
from modelfleet.config.feature_blocks import LagSpec as Lag
from modelfleet.config.feature_blocks import OnDemandFeatureSpec as OnDemandFeature
from modelfleet.config.feature_blocks import RollingWindowSpec as Rolling
from modelfleet.features.materialize import MaterializationResult
from modelfleet.features.service import FeatureStore, ViewStatus

__all__ = [
    "Feature",
    "FeatureStore",
    "FeatureView",
    "FileSource",
    "Lag",
    "MaterializationResult",
    "OnDemandFeature",
    "Rolling",
    "ViewStatus",
]
