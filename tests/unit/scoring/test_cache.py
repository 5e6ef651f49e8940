"""The model cache: one load per version, least recently used out, bounded by count and bytes."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from modelfleet.scoring.cache import Loaded, ModelCache


class _Loader:
    """Counts loads per key; each package is a distinct object of ``size`` bytes."""

    def __init__(self, size: int = 10, delay: float = 0.0) -> None:
        self.size, self.delay = size, delay
        self.loads: list[str] = []

    def __call__(self, key: str) -> Any:
        def load() -> Loaded:
            time.sleep(self.delay)
            self.loads.append(key)
            return Loaded(package=object(), size_bytes=self.size)  # type: ignore[arg-type]

        return load


def test_a_version_is_loaded_once_then_served_from_the_cache() -> None:
    cache, loader = ModelCache(max_models=4, max_bytes=1000), _Loader()

    first = cache.get("f/1:1.0.0", loader("f/1:1.0.0"))
    again = cache.get("f/1:1.0.0", loader("f/1:1.0.0"))

    assert first is again
    assert loader.loads == ["f/1:1.0.0"]
    assert (cache.stats().hits, cache.stats().loads) == (1, 1)


def test_past_max_models_the_least_recently_used_is_evicted() -> None:
    cache, loader = ModelCache(max_models=2, max_bytes=1000), _Loader()
    for key in ("a", "b"):
        cache.get(key, loader(key))
    cache.get("a", loader("a"))  # a is now the most recently used

    cache.get("c", loader("c"))
    cache.get("a", loader("a"))
    cache.get("b", loader("b"))

    assert loader.loads == ["a", "b", "c", "b"]
    assert cache.stats().evictions == 2


def test_past_max_bytes_models_are_evicted_until_the_bytes_fit() -> None:
    cache, loader = ModelCache(max_models=100, max_bytes=25), _Loader(size=10)
    for key in ("a", "b", "c"):
        cache.get(key, loader(key))

    stats = cache.stats()
    assert (stats.models, stats.size_bytes, stats.evictions) == (2, 20, 1)


def test_a_model_larger_than_the_byte_bound_is_still_served() -> None:
    cache, loader = ModelCache(max_models=10, max_bytes=5), _Loader(size=50)

    cache.get("big", loader("big"))

    assert cache.stats().models == 1


def test_concurrent_requests_for_a_cold_version_load_it_once() -> None:
    cache, loader = ModelCache(max_models=4, max_bytes=1000), _Loader(delay=0.05)
    got: list[object] = []

    threads = [
        threading.Thread(target=lambda: got.append(cache.get("k", loader("k")))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert loader.loads == ["k"]
    assert len({id(package) for package in got}) == 1


def test_a_failed_load_is_not_cached_and_is_tried_again() -> None:
    cache = ModelCache(max_models=4, max_bytes=1000)

    def broken() -> Loaded:
        raise RuntimeError("artifact store down")

    with pytest.raises(RuntimeError):
        cache.get("k", broken)
    cache.get("k", _Loader()("k"))

    assert cache.stats().loads == 1


def test_a_cache_must_hold_at_least_one_model() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ModelCache(max_models=0, max_bytes=10)
