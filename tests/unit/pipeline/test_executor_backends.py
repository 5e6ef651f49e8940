"""Executors by name or URL: one table resolves names, and unknown names list the known ones."""

from __future__ import annotations

import pytest

from modelfleet.errors import ConfigError
from modelfleet.pipeline.executor_backends import open_executor
from modelfleet.pipeline.executors import InlineExecutor, LocalProcessExecutor


@pytest.mark.parametrize("name", ["inline", "inline://", " INLINE "])
def test_inline_names_open_the_inline_executor(name: str) -> None:
    assert isinstance(open_executor(name, workers=4), InlineExecutor)


@pytest.mark.parametrize("name", ["process", "process://", "local", "Process", ""])
def test_process_names_and_the_default_open_a_pool_with_the_worker_count(name: str) -> None:
    executor = open_executor(name, workers=3)

    assert isinstance(executor, LocalProcessExecutor)
    assert executor.workers == 3


def test_zero_workers_still_means_inline_for_the_process_executor() -> None:
    assert isinstance(open_executor("process", workers=0), InlineExecutor)


def test_unknown_executor_is_a_config_error_listing_the_known_names() -> None:
    with pytest.raises(ConfigError, match="'dask' is unknown") as raised:
        open_executor("dask", workers=2)

    assert "inline, local, process" in str(raised.value)
    assert "MODELFLEET_EXECUTOR" in str(raised.value)


def test_ray_is_listed_as_waiting_for_the_scale_out_issue() -> None:
    with pytest.raises(ConfigError, match=r"not available yet.*scale-out"):
        open_executor("ray://head:10001", workers=2)


def test_local_executor_with_an_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="takes no address"):
        open_executor("process://somewhere:1234", workers=2)
