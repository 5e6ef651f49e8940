"""A client opened on a home says which home it searched when something is not found."""

from __future__ import annotations

from pathlib import Path

import pytest

import modelfleet
from modelfleet.errors import NotFoundError


def test_a_lookup_in_a_home_that_never_existed_says_nothing_was_trained_there(
    tmp_path: Path,
) -> None:
    home = tmp_path / "nowhere"
    with (
        modelfleet.connect(home=str(home), environ={}) as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.resolve("demo/1@prod")

    message = str(caught.value)
    assert f"the home {home} had no store: nothing was ever trained there" in message
    assert "MODELFLEET_HOME" in message


def test_a_lookup_in_an_existing_home_names_the_store_it_searched(tmp_path: Path) -> None:
    with modelfleet.connect(home=str(tmp_path), environ={}) as client:
        client.runs()  # the store now exists
    searched = r"searched the store sqlite:///.*modelfleet\.db"
    with (
        modelfleet.connect(home=str(tmp_path), environ={}) as client,
        pytest.raises(NotFoundError, match=searched),
    ):
        client.history("demo/1", None)


def test_a_home_trained_through_the_same_client_is_no_longer_called_empty(
    tmp_path: Path,
) -> None:
    from modelfleet.data.demo import generate_demo_data
    from modelfleet.pipeline.executors import InlineExecutor

    demo = generate_demo_data(tmp_path / "demo", stores=3, days=120, seed=0)
    with modelfleet.connect(home=str(tmp_path / "home"), environ={}) as client:
        client.train(demo.spec_path, "dev", tenants=["1"], executor=InlineExecutor())
        with pytest.raises(NotFoundError) as caught:
            client.resolve("demo-retail/no-such@prod")

    assert "had no store" not in str(caught.value)
    assert "searched the store" in str(caught.value)
