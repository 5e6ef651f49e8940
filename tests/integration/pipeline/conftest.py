"""Fixtures for fleet-runner tests: small demo fleets, a client on a temp home, spec editing and
executors that record or interrupt what the runner hands them.

Every test gets its own home under ``tmp_path`` (never the real ``./.modelfleet``). Training runs
inline (``InlineExecutor``) unless a test is about process isolation.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest
import yaml

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import DemoData, generate_demo_data
from modelfleet.pipeline.executors import InlineExecutor, Outcome
from modelfleet.pipeline.tenant import TenantTask

T = TypeVar("T")
R = TypeVar("R")

HELPERS = Path(__file__).parent / "helpers"
FAMILIES_MODULE = "modelfleet_test_families"

# Five stores, each with one role at most: store "3" has a model override, "4" is the Berlin CSV
# partner and "5" the Parquet partner; "1" and "2" come from the shared sales.csv only.
DEMO_STORES = 5
DEMO_DAYS = 200
DEMO_TENANTS = tuple(str(i) for i in range(1, DEMO_STORES + 1))


def make_demo(out_dir: Path, stores: int = DEMO_STORES, days: int = DEMO_DAYS) -> DemoData:
    """A small demo fleet (seed 0) written into ``out_dir``."""
    return generate_demo_data(out_dir, stores=stores, days=days, seed=0)


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Load a fleet.yaml, let ``change`` mutate the mapping, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture
def demo(tmp_path: Path) -> DemoData:
    """A fresh five-store, 200-day demo fleet in this test's tmp dir."""
    return make_demo(tmp_path / "demo")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    """A client on an empty home in this test's tmp dir (MODELFLEET_* variables ignored)."""
    with modelfleet.connect(home=str(tmp_path / "home"), environ={}) as opened:
        yield opened


@pytest.fixture(scope="session")
def edit_spec() -> Callable[[Path, Callable[[dict[str, Any]], None]], None]:
    """``edit_spec(path, change)``: rewrite a fleet.yaml through a mutating function."""
    return edit_yaml


@pytest.fixture(scope="session")
def make_demo_fleet() -> Callable[..., DemoData]:
    """``make_demo_fleet(out_dir, stores=5, days=200)``: write a demo fleet (for wider scopes)."""
    return make_demo


@pytest.fixture(scope="session")
def demo_tenants() -> tuple[str, ...]:
    """The tenant ids of the default demo fleet."""
    return DEMO_TENANTS


class RecordingExecutor:
    """Runs inline and keeps every task it was given, by tenant (the runner's real inputs)."""

    def __init__(self) -> None:
        self.tasks: dict[str, TenantTask] = {}

    def run(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome[T, R]]:
        def remember() -> Iterator[T]:
            for item in items:
                if isinstance(item, TenantTask):
                    self.tasks[item.tenant] = item
                yield item

        yield from InlineExecutor().run(fn, remember())


class InterruptingExecutor:
    """Runs inline and raises KeyboardInterrupt (Ctrl-C) once ``after`` outcomes were handed on.

    The interrupt arrives while the runner waits for the next result, as a real Ctrl-C would.
    """

    def __init__(self, after: int) -> None:
        self.after = after

    def run(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome[T, R]]:
        for handed, outcome in enumerate(InlineExecutor().run(fn, items)):
            if handed == self.after:
                raise KeyboardInterrupt
            yield outcome


@pytest.fixture
def recording_executor() -> RecordingExecutor:
    """An inline executor that records the tenant tasks the runner builds."""
    return RecordingExecutor()


@pytest.fixture(scope="session")
def recording_executor_class() -> type[RecordingExecutor]:
    """The recording executor class, for fixtures wider than one test."""
    return RecordingExecutor


@pytest.fixture
def interrupting_executor() -> Callable[[int], InterruptingExecutor]:
    """``interrupting_executor(n)``: inline, then Ctrl-C after ``n`` tenants came back."""
    return InterruptingExecutor


@pytest.fixture
def test_families(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The helper estimator module, importable here and in forkserver workers by its name."""
    monkeypatch.syspath_prepend(str(HELPERS))
    return importlib.import_module(FAMILIES_MODULE)


@pytest.fixture(scope="module")
def module_families() -> Iterator[str]:
    """Like ``test_families`` for module-scoped fixtures; yields the module name."""
    sys.path.insert(0, str(HELPERS))
    try:
        importlib.import_module(FAMILIES_MODULE)
        yield FAMILIES_MODULE
    finally:
        sys.path.remove(str(HELPERS))
