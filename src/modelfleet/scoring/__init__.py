"""Scoring: a tenant's live model answers records (the core of the prediction server)."""

from __future__ import annotations

from modelfleet.scoring.cache import CacheStats, ModelCache
from modelfleet.scoring.service import Prediction, Scorer, ScoringLimits

__all__ = ["CacheStats", "ModelCache", "Prediction", "Scorer", "ScoringLimits"]
