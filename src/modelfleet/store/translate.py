"""Turn SQLAlchemy and driver exceptions into StoreError messages a user can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError, StatementError

from modelfleet.errors import StoreError


@contextmanager
def translated_errors(display_url: str, action: str) -> Iterator[None]:
    """Re-raise database failures while doing ``action`` as StoreError naming the store."""
    try:
        yield
    except IntegrityError as exc:
        raise StoreError(
            f"metadata store {display_url} refused to {action}: it conflicts with what is "
            f"already stored ({_reason(exc)}); nothing from this call was written"
        ) from exc
    except OperationalError as exc:
        raise StoreError(
            f"metadata store {display_url} is unreachable or busy, so could not {action} "
            f"({_reason(exc)}); check that the server is running (or that the file's folder "
            "is writable) and that the store URL is right"
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreError(
            f"metadata store {display_url}: could not {action} ({_reason(exc)})"
        ) from exc


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only (SQLAlchemy appends SQL and a docs link)."""
    # StatementError.orig is the driver error, or e.g. the ValueError a column type raised.
    cause: BaseException = exc
    if isinstance(exc, StatementError) and exc.orig is not None:
        cause = exc.orig
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0]
