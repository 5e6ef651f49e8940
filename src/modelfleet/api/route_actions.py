"""What each control-plane route needs the caller to be allowed, with auth on.

The policy (:class:`~modelfleet.governance.service.RolePolicy`) decides; this table states,
route by route, which action the route's plane call asks it for, so a test can walk the app's
route table and prove every route, role and scope answers as the roles say (and fail for a
route added without an entry here). ``None``: open to anyone (health checks).
"""

from __future__ import annotations

from typing import Final

ROUTE_ACTIONS: Final[dict[tuple[str, str], str | None]] = {
    ("GET", "/healthz"): None,
    ("GET", "/api/v1/runs"): "read",
    ("GET", "/api/v1/runs/{run_id}"): "read",
    ("GET", "/api/v1/fleet-runs"): "read",
    ("GET", "/api/v1/fleet-runs/{fleet_run_id}"): "read",
    ("GET", "/api/v1/models"): "read",
    ("GET", "/api/v1/models/{fleet}/{tenant}"): "read",
    ("GET", "/api/v1/models/{fleet}/{tenant}/versions/{version}"): "read",
    ("DELETE", "/api/v1/models/{fleet}/{tenant}/versions/{version}"): "delete",
    ("PATCH", "/api/v1/models/{fleet}/{tenant}/versions/{version}"): "update_metadata",
    ("GET", "/api/v1/models/{fleet}/{tenant}/latest"): "read",
    ("GET", "/api/v1/models/{fleet}/{tenant}/resolve/{alias}"): "read",
    ("GET", "/api/v1/models/{fleet}/{tenant}/history"): "read",
    ("GET", "/api/v1/models/{fleet}/{tenant}/card"): "read",
    ("POST", "/api/v1/runs/{run_id}/register"): "register",
    ("POST", "/api/v1/models/{fleet}/{tenant}/promote"): "promote",
    ("POST", "/api/v1/fleets/{fleet}/promote"): "promote",
    ("POST", "/api/v1/models/{fleet}/{tenant}/approve"): "approve",
    ("POST", "/api/v1/models/{fleet}/{tenant}/rollback"): "rollback",
    ("POST", "/api/v1/batches/{batch_id}/rollback"): "rollback",
    ("PUT", "/api/v1/models/{fleet}/{tenant}/aliases/{alias}"): "set_alias",
    ("DELETE", "/api/v1/models/{fleet}/{tenant}/aliases/{alias}"): "remove_alias",
    ("POST", "/api/v1/models/{fleet}/{tenant}/versions/{version}/archive"): "archive",
    ("PUT", "/api/v1/models/{fleet}/{tenant}/traffic/{environment}"): "set_traffic",
    ("GET", "/api/v1/models/{fleet}/{tenant}/traffic/{environment}"): "read",
    ("DELETE", "/api/v1/models/{fleet}/{tenant}/traffic/{environment}"): "set_traffic",
    ("GET", "/api/v1/autopilot/actions"): "read",
    ("POST", "/api/v1/autopilot/actions/{action_id}/approve"): "approve",
    ("POST", "/api/v1/autopilot/actions/{action_id}/reject"): "approve",
    ("POST", "/api/v1/fleets/{fleet}/feedback"): "feedback",
}
