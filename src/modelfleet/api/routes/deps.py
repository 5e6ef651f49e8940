"""Dependencies shared by the routes: the server's control plane and the request's plane."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from modelfleet.api.backend import ControlPlane
from modelfleet.client.local import LocalPlane


def _control(request: Request) -> ControlPlane:
    control = request.app.state.plane
    assert isinstance(control, ControlPlane)
    return control


def _plane(request: Request) -> LocalPlane:
    return _control(request).plane(request)


Control = Annotated[ControlPlane, Depends(_control)]
Plane = Annotated[LocalPlane, Depends(_plane)]
