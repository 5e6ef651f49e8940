"""Which addresses a server may listen on: loopback always, others only with auth or --insecure."""

from __future__ import annotations

import ipaddress

import typer

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def check_exposure(host: str, *, protected: bool, insecure: bool, what: str, how: str) -> None:
    """Refuse a non-loopback ``host`` for a server that checks no tokens, unless ``insecure``.

    ``protected`` says whether the server authenticates every request; ``how`` says how to
    make it do so.
    """
    if protected or insecure or is_loopback(host):
        return
    raise typer.BadParameter(
        f"{host!r} would expose the {what} to the network without authentication: anyone who "
        f"reaches the port could act as the server's account. {how}; or pass --insecure when a "
        "proxy in front of it authenticates every request",
        param_hint="--host",
    )
