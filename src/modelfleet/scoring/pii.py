"""Personal data in scoring requests: the fleet's ``pii:`` policies applied to incoming records.

The prediction server calls :func:`scrub_records` on every request's records before they are
scored or logged, so a hashed column is scored as training saw it (the same keyed hash) and the
prediction log stores only scrubbed inputs. A fleet's scrubber (its key read from
``pii.key_file``) is built once per loaded spec and kept: a request never reads the key file,
and a new key takes effect when the server restarts with it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from modelfleet.config.spec import FleetSpec
from modelfleet.data.pii import Scrubber

_MAX_SPECS = 256  # specs a process keeps scrubbers for (a server holds one per fleet)
_lock = threading.Lock()
_scrubbers: dict[int, tuple[FleetSpec, Scrubber]] = {}


def scrubber_of(spec: FleetSpec) -> Scrubber:
    """The spec's scrubber, built (and its key read) the first time it is asked for."""
    with _lock:
        hit = _scrubbers.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    scrubber = Scrubber.for_spec(spec)  # ConfigError names pii.key_file when the key is bad
    with _lock:
        if len(_scrubbers) >= _MAX_SPECS:
            _scrubbers.clear()
        # The spec is held with its scrubber, so its id cannot be reused by another object.
        _scrubbers[id(spec)] = (spec, scrubber)
    return scrubber


def scrub_records(spec: FleetSpec | None, records: Sequence[Any]) -> list[Any]:
    """``records`` with the fleet's PII fields dropped, masked or hashed (as sent otherwise).

    Without a spec (a server started without the fleet's fleet.yaml) no policy is known and the
    records pass as sent; docs/security.md says to serve a fleet with personal data with its spec.
    """
    if spec is None or not spec.pii.columns:
        return list(records)
    return scrubber_of(spec).records(records)
