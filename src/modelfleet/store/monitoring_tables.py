"""The metadata store's part for serving and monitoring: the prediction log, ground truth,
usage and alerts (a part of :class:`~modelfleet.store.metadata_store.MetadataStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Connection

from modelfleet.errors import NotFoundError
from modelfleet.store import actuals, alerts, predictions, request_errors, runs, usage


class MonitoringTables:
    """Reads and writes of the prediction log, actuals, usage and alerts."""

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # the store's own

    def _writing(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # the store's own

    def add_predictions(self, rows: Sequence[predictions.PredictionRow]) -> None:
        """Append logged predictions in one transaction (one executemany)."""
        if rows:
            with self._writing(f"log {len(rows)} prediction(s)") as connection:
                predictions.insert_predictions(connection, rows)

    def add_prediction_tuples(self, rows: Sequence[tuple[object, ...]]) -> None:
        """Append logged predictions given as tuples (``predictions.COLUMNS`` order)."""
        if rows:
            with self._writing(f"log {len(rows)} prediction(s)") as connection:
                predictions.insert_prediction_tuples(connection, rows)

    def list_predictions(
        self, fleet: str, tenant: str | None = None, limit: int = 1000
    ) -> list[predictions.PredictionRow]:
        """The newest logged predictions of a fleet or one of its tenants, newest first."""
        with self._reading("read the prediction log") as connection:
            return predictions.select_predictions(connection, fleet, tenant, limit)

    def prediction_columns(
        self, fleet: str, environment: str, since: datetime, until: datetime
    ) -> predictions.PredictionColumns:
        """A fleet's predictions in one environment logged in ``[since, until)``, as columns."""
        with self._reading("read the prediction log") as connection:
            return predictions.select_prediction_columns(
                connection, fleet, environment, since, until
            )

    def artifact_digests(self, run_ids: Sequence[str], name: str) -> dict[str, str]:
        """run id -> digest of its artifact ``name`` (runs without one are left out)."""
        with self._reading(f"read the {name} artifacts of {len(run_ids)} run(s)") as connection:
            return runs.select_artifact_digests(connection, run_ids, name)

    def write_actuals(
        self, new: Sequence[actuals.ActualRow], revised: Sequence[actuals.ActualRow]
    ) -> None:
        """Add new actuals and replace revised ones, in one transaction."""
        if new or revised:
            with self._writing(f"record {len(new) + len(revised)} actual(s)") as connection:
                actuals.insert_actuals(connection, new)
                actuals.update_actuals(connection, revised)

    def stored_actuals(
        self, fleet: str, tenants: Sequence[str], since: datetime, until: datetime
    ) -> list[tuple[str, datetime, float]]:
        """(tenant, ts, value) of the actuals stored for ``tenants`` between two times."""
        with self._reading("read actuals") as connection:
            return actuals.select_actuals(connection, fleet, tenants, since, until)

    def predictions_with_actuals(
        self, fleet: str, environment: str, since: datetime, until: datetime
    ) -> actuals.JoinedColumns:
        """Logged predictions for timestamps in ``[since, until)`` that have an actual."""
        with self._reading("join predictions with actuals") as connection:
            return actuals.select_joined(connection, fleet, environment, since, until)

    def add_request_errors(self, rows: Sequence[request_errors.RequestErrorRow]) -> None:
        """Record refused or failed requests in one transaction."""
        if rows:
            with self._writing(f"log {len(rows)} request error(s)") as connection:
                request_errors.insert_request_errors(connection, rows)

    def request_error_counts(
        self, fleet: str, environment: str, since: datetime, until: datetime
    ) -> list[request_errors.ErrorCount]:
        """Per tenant: refused (4xx) and failed (5xx) requests in ``[since, until)``."""
        with self._reading("count request errors") as connection:
            return request_errors.select_error_counts(connection, fleet, environment, since, until)

    def training_usage(self, fleet: str) -> list[usage.TrainingUsageRow]:
        """Per tenant: runs, CPU seconds, peak memory and artifact bytes."""
        with self._reading("read training usage") as connection:
            return usage.select_training_usage(connection, fleet)

    def requests(
        self, fleet: str, environment: str, since: datetime, until: datetime
    ) -> usage.RequestColumns:
        """One entry per request answered in ``[since, until)``: who answered, rows, latency."""
        with self._reading("read the prediction log's requests") as connection:
            return usage.select_requests(connection, fleet, environment, since, until)

    def list_alerts(
        self,
        fleet: str | None = None,
        environment: str | None = None,
        state: str | None = None,
        limit: int = 1000,
    ) -> list[alerts.AlertRow]:
        """Alerts, newest first (None: any fleet, environment, state)."""
        with self._reading("read alerts") as connection:
            return alerts.select_alerts(connection, fleet, environment, state, limit)

    def apply_alerts(
        self,
        opened: Sequence[alerts.NewAlertRow],
        seen: Sequence[tuple[int, str | None, str, str]],
        resolved: Sequence[int],
        at: datetime,
    ) -> list[int]:
        """One check's changes in one transaction: open, touch (id, version, message, figures)
        and resolve alerts; the opened alerts' ids."""
        with self._writing("record alerts") as connection:
            ids = alerts.insert_alerts(connection, opened)
            for alert_id, version, message, figures in seen:
                alerts.touch_alert(connection, alert_id, version, message, figures, at)
            alerts.resolve_alerts(connection, resolved, at)
            return ids

    def ack_alert(self, alert_id: int, actor: str, at: datetime) -> None:
        """Acknowledge an alert; NotFoundError when there is none with that id."""
        with self._writing(f"acknowledge alert {alert_id}") as connection:
            if not alerts.ack_alert(connection, alert_id, actor, at):
                raise NotFoundError(f"no alert {alert_id}: list them with `modelfleet alerts list`")

    def count_predictions(self, fleet: str | None = None) -> int:
        """How many predictions are logged, of one fleet or all."""
        with self._reading("count the prediction log") as connection:
            return predictions.count_predictions(connection, fleet)
