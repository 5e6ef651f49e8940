"""modelfleet: one configurable pipeline that trains, tracks and ships one model per tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelfleet.version import __version__

if TYPE_CHECKING:
    from modelfleet.client import Client

__all__ = ["__version__", "connect"]


def connect(home: str | None = None, store_url: str | None = None, **kwargs: Any) -> Client:
    """Open the metadata and artifact stores of a modelfleet home (``./.modelfleet`` by default)."""
    from modelfleet.client import Client

    return Client.open(home=home, store_url=store_url, **kwargs)
