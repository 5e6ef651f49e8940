"""Exact conversions between datetimes and the integer microseconds online stores keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def as_utc(value: datetime) -> datetime:
    """The instant as an aware UTC datetime; naive values are taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch, exactly (no float rounding)."""
    return (as_utc(value) - EPOCH) // MICROSECOND


def from_micros(value: int, *, aware: bool) -> datetime:
    """The datetime for a microsecond count: aware UTC, or naive UTC wall time."""
    moment = EPOCH + value * MICROSECOND
    return moment if aware else moment.replace(tzinfo=None)
