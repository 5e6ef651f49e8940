"""The client's monitoring verbs (drift of the live versions), as a part of :class:`Client`.

They read the home's prediction log and the versions' profiles in this process, so they work
on a local home; a client of a control plane is told so.
"""

from __future__ import annotations

from datetime import datetime

from modelfleet.client.local import LocalPlane
from modelfleet.client.plane import Plane
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.config.specs import SpecLike
from modelfleet.monitoring.service import DriftReport, drift_report
from modelfleet.registry.reads import ArtifactStores


class MonitoringVerbs:
    """drift, for a client with a ``plane``."""

    plane: Plane

    def _local(self, verb: str) -> LocalPlane:
        raise NotImplementedError  # the Client's own

    def drift(
        self,
        spec: SpecLike,
        *,
        environment: str = "prod",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DriftReport:
        """Drift of every live version of the fleet in ``environment`` over the logged
        predictions of ``[since, until)`` (default: the spec's ``monitoring.drift.window``)."""
        local = self._local("drift")
        loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec, environment)
        stores = ArtifactStores(local.settings.artifacts_url)
        return drift_report(
            local.metadata_store(), stores, loaded, environment, since=since, until=until
        )
