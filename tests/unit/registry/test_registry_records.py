"""Registry records: signatures and their digests, metric filters."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.registry.records import MetricFilter, Signature, SignatureField

INPUTS = (SignatureField("lag_7", "double"), SignatureField("region", "int32", categorical=True))
OUTPUT = SignatureField("sales", "float64")


def test_a_signature_round_trips_through_json() -> None:
    signature = Signature(INPUTS, OUTPUT)

    assert Signature.from_json(signature.to_json()) == signature


def test_the_digest_is_stable_and_ignores_input_order() -> None:
    forward, backward = Signature(INPUTS, OUTPUT), Signature(INPUTS[::-1], OUTPUT)

    assert forward.digest() == backward.digest()
    assert len(forward.digest()) == 64


@pytest.mark.parametrize(
    "changed",
    [
        Signature((*INPUTS, SignatureField("price", "double")), OUTPUT),
        Signature((INPUTS[0], SignatureField("region", "int32")), OUTPUT),
        Signature((SignatureField("lag_7", "float"), INPUTS[1]), OUTPUT),
        Signature(INPUTS, SignatureField("units", "float64")),
    ],
    ids=["added input", "categorical flag", "input type", "output"],
)
def test_the_digest_changes_with_any_input_or_output(changed: Signature) -> None:
    assert changed.digest() != Signature(INPUTS, OUTPUT).digest()


def test_a_signature_is_read_from_a_pipeline_model_meta() -> None:
    meta = {
        "signature": {
            "inputs": [{"name": "lag_7", "type": "double", "categorical": False}],
            "output": {"name": "sales", "type": "float64"},
        }
    }

    signature = Signature.from_meta(meta)

    assert signature.input_names == ("lag_7",)
    assert signature.output == SignatureField("sales", "float64")


def test_a_malformed_signature_is_refused() -> None:
    with pytest.raises(UsageError, match="inputs"):
        Signature.from_json('{"output": {}}')
    with pytest.raises(UsageError, match="unique"):
        Signature((INPUTS[0], INPUTS[0]), OUTPUT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wmape>0.3", MetricFilter("wmape", ">", 0.3)),
        (" mae <= 12 ", MetricFilter("mae", "<=", 12.0)),
        ("baseline.wmape<0.5", MetricFilter("wmape", "<", 0.5, scope="baseline")),
        ("rmse==1e-3", MetricFilter("rmse", "=", 0.001)),
    ],
)
def test_metric_filters_parse_from_text(text: str, expected: MetricFilter) -> None:
    assert MetricFilter.parse(text) == expected


@pytest.mark.parametrize("text", ["wmape", "wmape>", ">0.3", "wmape~0.3", "wmape>abc", "x.y>1"])
def test_malformed_metric_filters_are_refused_showing_the_form(text: str) -> None:
    with pytest.raises(UsageError, match="METRIC OP NUMBER"):
        MetricFilter.parse(text)
