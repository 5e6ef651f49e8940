"""The one exception hierarchy of modelfleet.

Every error a user can see is a :class:`ModelfleetError`. Library exceptions are translated at the
boundary (``raise StoreError(...) from exc``) so callers catch one family; their messages are
made safe to print on the way in (see :class:`ModelfleetError`). Each class carries a
short ``headline`` for the CLI and the HTTP status a server answers with::

    ModelfleetError
    ├── ConfigError              settings or fleet.yaml are invalid            (422)
    ├── DataError                data cannot be used                           (422)
    │   ├── SourceError          a source cannot be read or mapped
    │   └── DataValidationError  a tenant's data fails its checks
    ├── UsageError               a request's arguments are malformed           (422)
    │   └── InputError           records to score do not fit the model's inputs
    ├── AuthenticationError      no valid token: missing, expired, revoked     (401)
    ├── PermissionDeniedError    the caller's grants do not allow it           (403)
    ├── NotFoundError            a run, model or artifact does not exist       (404)
    ├── ConflictError            the request conflicts with the current state  (409)
    │   └── PromotionError       a run cannot be registered or promoted as asked
    ├── FeatureError             a feature view or retrieval request is wrong  (422)
    ├── StoreError               the metadata store failed                     (503)
    │   └── OnlineStoreError     the online feature store failed               (503)
    ├── ArtifactError            the artifact store failed                     (503)
    │   └── ArtifactIntegrityError  bytes on disk do not match their checksum  (409)
    ├── EncryptionError          sealed bytes cannot be opened                 (503)
    │   ├── EncryptionKeyMissing    no key in the ring has the id they name
    │   └── CiphertextRefused       authentication failed: altered, or wrong key  (409)
    ├── TrainingError            a model family could not fit or predict       (422)
    │   └── PackageError         a saved model package is unreadable or invalid
    └── ExecutorError            the worker pool failed                        (503)
"""

from __future__ import annotations

from modelfleet.quoting import safe_message


class ModelfleetError(Exception):
    """Base class: a message a user can act on, a CLI headline and an HTTP status.

    Messages quote input through :mod:`modelfleet.quoting` (short excerpts, escaped). As a last
    line of defence every message is passed through :func:`~modelfleet.quoting.safe_message`
    here: URLs lose their passwords and tokens, control characters are escaped and a runaway
    message is cut, whoever built it.
    """

    headline = "modelfleet error"
    http_status = 500

    def __init__(self, message: str) -> None:
        message = safe_message(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ModelfleetError):
    """Settings or a fleet spec are invalid; the message names the file and field."""

    headline = "invalid configuration"
    http_status = 422


class DataError(ModelfleetError):
    """Data cannot be used as given."""

    headline = "data error"
    http_status = 422


class SourceError(DataError):
    """A data source cannot be read, parsed or mapped onto the fleet's schema."""

    headline = "cannot read source"


class DataValidationError(DataError):
    """A tenant's data fails one or more error-level checks."""

    headline = "data validation failed"


class UsageError(ModelfleetError):
    """A request's arguments are malformed: a model reference, version, alias or filter."""

    headline = "invalid request"
    http_status = 422


class InputError(UsageError):
    """Records sent to a model do not fit its signature; ``fields`` say where and what.

    Each field is ``(loc, message, kind)``: ``loc`` the path to the value (``("records", 3,
    "promo")``), ``message`` what is wrong and what to send, ``kind`` a short machine tag.
    """

    headline = "invalid input"

    def __init__(
        self, message: str, fields: tuple[tuple[tuple[str | int, ...], str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.fields = fields


class AuthenticationError(ModelfleetError):
    """A request needs a valid token and has none: missing, malformed, unknown, expired or
    revoked."""

    headline = "authentication required"
    http_status = 401


class PermissionDeniedError(ModelfleetError):
    """The caller is known but its grants do not allow this action on this scope."""

    headline = "permission denied"
    http_status = 403


class NotFoundError(ModelfleetError):
    """A run, tenant, model or artifact that was asked for does not exist."""

    headline = "not found"
    http_status = 404


class ConflictError(ModelfleetError):
    """The request conflicts with the current state, e.g. archiving a version an alias uses."""

    headline = "conflict"
    http_status = 409


class PromotionError(ConflictError):
    """A run cannot be registered, or a version promoted, the way it was asked."""

    headline = "cannot register or promote"


class FeatureError(ModelfleetError):
    """A feature view definition or a retrieval request cannot be used; names view and field."""

    headline = "feature error"
    http_status = 422


class StoreError(ModelfleetError):
    """The metadata store could not be reached, migrated or written."""

    headline = "metadata store error"
    http_status = 503


class ArtifactError(ModelfleetError):
    """The artifact store could not read or write bytes."""

    headline = "artifact store error"
    http_status = 503


class ArtifactIntegrityError(ArtifactError):
    """Stored bytes no longer match their content address: the file was changed or damaged."""

    headline = "artifact checksum mismatch"
    # A state of the resource, not a server fault: retrying will not help until it is repaired.
    http_status = 409


class TrainingError(ModelfleetError):
    """A model family failed to fit, predict, save or load."""

    headline = "training failed"
    http_status = 422


class PackageError(TrainingError):
    """A saved model package (estimator plus metadata) is missing, damaged or inconsistent.

    The message names the field or artifact that is wrong, so a bad store can be repaired.
    """

    headline = "invalid model package"


class ExecutorError(ModelfleetError):
    """The executor (process pool, cluster) failed independently of any tenant."""

    headline = "executor error"
    http_status = 503


class OnlineStoreError(StoreError):
    """The online feature store (SQLite file, Redis) cannot be reached or failed."""

    headline = "online store error"


class EncryptionError(ModelfleetError):
    """Encrypted bytes cannot be opened (the seams re-raise it naming the artifact or log row)."""

    headline = "encrypted data unreadable"
    http_status = 503


class EncryptionKeyMissing(EncryptionError):
    """The sealed bytes name a key id the configured keyring does not hold (or none is set)."""

    def __init__(self, message: str, key_id: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class CiphertextRefused(EncryptionError):
    """Authentication failed: the ciphertext or its header was altered, or the key is wrong."""

    headline = "ciphertext refused"
    http_status = 409

    def __init__(self, message: str, key_id: str) -> None:
        super().__init__(message)
        self.key_id = key_id
