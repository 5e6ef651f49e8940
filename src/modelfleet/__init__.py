"""modelfleet: one configurable pipeline that trains, tracks and ships one model per tenant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from modelfleet.version import __version__

if TYPE_CHECKING:
    from modelfleet.client import Client
    from modelfleet.remote import RemoteClient

__all__ = ["__version__", "connect"]


@overload
def connect(home: Path | None = None, store_url: str | None = None, **kwargs: Any) -> Client: ...


@overload
def connect(home: str, store_url: str | None = None, **kwargs: Any) -> Client | RemoteClient: ...


def connect(
    home: str | Path | None = None, store_url: str | None = None, **kwargs: Any
) -> Client | RemoteClient:
    """A client: over a server for an ``http(s)://`` URL, else over a modelfleet home.

    ``connect()`` opens ``./.modelfleet`` (or ``MODELFLEET_HOME``); ``connect("path")`` that
    home; ``connect("http://host:8000")`` a :class:`~modelfleet.remote.RemoteClient` with the
    same run and registry methods (keyword arguments go to its constructor).
    """
    if isinstance(home, str) and home.startswith(("http://", "https://")):
        from modelfleet.remote import RemoteClient

        if store_url is not None:
            raise TypeError("store_url belongs to a local home; a server has its own store")
        return RemoteClient(home, **kwargs)
    from modelfleet.client import Client

    return Client.open(home=home, store_url=store_url, **kwargs)
