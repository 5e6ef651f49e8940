"""What the doctor found: one :class:`CheckResult` per check, each naming what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "failed", "repaired", "skipped"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong: what it is (``subject``), what is wrong with it and whether it was fixed."""

    subject: str
    problem: str
    repaired: bool = False

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object."""
        return {"subject": self.subject, "problem": self.problem, "repaired": self.repaired}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: its status, how many things it looked at, what it found."""

    check: str
    status: Status
    checked: int
    detail: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Nothing is left wrong (clean, or every finding repaired)."""
        return self.status in ("ok", "repaired", "skipped")

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object."""
        return {
            "check": self.check,
            "status": self.status,
            "checked": self.checked,
            "problems": len(self.findings),
            "detail": self.detail,
            "findings": [f.to_json() for f in self.findings],
        }


def result(check: str, checked: int, findings: list[Finding], clean: str, what: str) -> CheckResult:
    """A result from findings: ok with ``clean`` as detail, else failed or repaired.

    ``what`` names the findings in the detail (``"2 damaged artifacts"``).
    """
    if not findings:
        return CheckResult(check, "ok", checked, clean)
    left = [f for f in findings if not f.repaired]
    if not left:
        return CheckResult(
            check, "repaired", checked, f"{len(findings)} {what}: repaired", tuple(findings)
        )
    fixed = len(findings) - len(left)
    also = f" ({fixed} repaired)" if fixed else ""
    return CheckResult(check, "failed", checked, f"{len(left)} {what}{also}", tuple(findings))


@dataclass(frozen=True)
class Report:
    """Every check's result, in the order they ran, and how long the examination took."""

    store: str
    artifacts: str
    results: tuple[CheckResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether nothing is left wrong: the command exits 0 exactly then."""
        return all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "ok": self.ok,
            "store": self.store,
            "artifacts": self.artifacts,
            "seconds": round(self.seconds, 3),
            "checks": [r.to_json() for r in self.results],
        }
