"""``modelfleet doctor``: is this store sound? Read-only checks, and the safe repairs.

One module per group of checks (:mod:`.database`, :mod:`.registry`, :mod:`.artifacts`,
:mod:`.runs`), each a function returning a :class:`CheckResult`; :func:`examine` runs them all
against a metadata store and an artifact store and returns a :class:`Report`. The checks judge
rows read in a few whole-store queries (:mod:`modelfleet.store.audit`) and files listed once,
so their cost grows with the store, never with a query per version.
"""

from __future__ import annotations

from modelfleet.doctor.examine import DoctorOptions, examine
from modelfleet.doctor.findings import CheckResult, Finding, Report

__all__ = ["CheckResult", "DoctorOptions", "Finding", "Report", "examine"]
