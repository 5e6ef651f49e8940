"""The in-process cost of a permission check with auth on (issue 14: "well under 0.1 ms").

Seeds a fresh SQLite store with ``--principals`` principals holding a few grants each (a tenant,
a fleet, everything) and times, over ``--checks`` calls each:

* ``RolePolicy.check`` of an allowed action (the registry asks it before every write, the
  guarded plane before every read) with the principal's grants cached;
* the same for a refused action (the refusal builds its message);
* the prediction server's ``Gate.admit`` with a token whose verdict is cached;
* ``Authority.authenticate`` uncached (one indexed read of the token and the hash compare),
  what a token costs once a second.

This is modelfleet alone: MLflow's basic-auth app, the side-by-side the issue asks for the full
auth + audit benchmark, is not part of this script.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_auth_check.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path


def _per_call_us(call: Callable[[], object], n: int, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(n):
            call()
        runs.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(runs)


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the grants, time the checks, print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=20_000)
    args = parser.parse_args(argv)

    from modelfleet.caller import Caller
    from modelfleet.errors import PermissionDeniedError
    from modelfleet.governance.service import Authority, RolePolicy
    from modelfleet.serving.gate import Gate
    from modelfleet.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'auth.db'}")
        authority = Authority(store)
        for i in range(args.principals):
            authority.grant(f"p{i}", "viewer", f"fleet{i % 10}/t{i}", by="bench")
            authority.grant(f"p{i}", "operator", f"fleet{i % 10}/*", by="bench")
        authority.grant("p0", "viewer", "*", by="bench")
        token = authority.create_token("p0", by="bench").text
        policy, gate = RolePolicy(store), Gate(store)
        caller = Caller("p0", roles=())
        model = "fleet0/t0"
        policy.check(caller, "rollback", [model])  # warm the grant cache
        gate.admit(f"Bearer {token}", "fleet0", "t0")

        def refused() -> None:
            with suppress(PermissionDeniedError):
                policy.check(caller, "delete", [model])

        figures = {
            "RolePolicy.check, allowed (grants cached)": _per_call_us(
                lambda: policy.check(caller, "rollback", [model]), args.checks
            ),
            "RolePolicy.check, refused (message built)": _per_call_us(refused, args.checks),
            "Gate.admit, token verdict cached": _per_call_us(
                lambda: gate.admit(f"Bearer {token}", "fleet0", "t0"), args.checks
            ),
            "Authority.authenticate, uncached (store read)": _per_call_us(
                lambda: authority.authenticate(token), max(args.checks // 20, 100)
            ),
        }
        store.close()
    print(f"{args.principals} principals, {2 * args.principals + 1} grants; median of 5 runs")
    for name, micros in figures.items():
        print(f"  {name:<48} {micros:8.2f} us/call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
