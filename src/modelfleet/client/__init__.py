"""The Python API: one :class:`Client` over a local plane (in process) or an HTTP plane."""

from __future__ import annotations

from modelfleet.client.facade import Client, ValidationReport, connect
from modelfleet.client.http import HttpPlane
from modelfleet.client.local import LocalPlane
from modelfleet.client.plane import Plane, PlaneInfo

__all__ = [
    "Client",
    "HttpPlane",
    "LocalPlane",
    "Plane",
    "PlaneInfo",
    "ValidationReport",
    "connect",
]
