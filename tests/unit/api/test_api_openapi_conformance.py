"""The control plane keeps its OpenAPI promise: schemathesis, every check, every operation.

Each operation of the published document is called with generated requests (schema examples,
boundary values, valid and invalid data) against the app over a seeded store, and every
response is checked: no 5xx, schema-valid requests accepted and invalid ones refused, every
status code, content type, header and body as documented, undeclared methods answered 405
with ``Allow``. The budget is fixed and derandomised, so CI runs the same cases every time.

The schema is loaded from the app factory at import (the document depends on no store), and
each case is sent to the test's own seeded app: schemathesis's lazy fixture loader does not
work with this pytest (it reads a node attribute pytest 9.2 no longer has).
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, is_check_class, load_all_checks

from modelfleet.api.app import create_app
from modelfleet.config.settings import Settings

SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings.for_home(Path("never-opened"))).openapi()
)
load_all_checks()
# Every built-in check that judges one response (the rest judge stateful scenarios or auth).
ALL_CHECKS = [check for check in CHECKS.get_all() if not is_check_class(check)]
BUDGET = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SCHEMA.parametrize()
@BUDGET
def test_every_operation_answers_as_its_schema_documents(
    case: schemathesis.Case, app: FastAPI
) -> None:
    case.call_and_validate(app=app, checks=ALL_CHECKS)


def test_the_checks_include_status_content_type_and_data_acceptance() -> None:
    names = {check.__name__ for check in ALL_CHECKS}

    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "unsupported_method",
    } <= names
