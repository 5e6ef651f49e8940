"""Names end where they end: a trailing newline never slips past a ``$`` anchor."""

from __future__ import annotations

import pytest

from modelfleet.errors import ModelfleetError
from modelfleet.registry.refs import check_alias


@pytest.mark.parametrize("alias", ["prod\n", "prod\r\n", "\nprod"])
def test_an_alias_with_a_newline_is_refused(alias: str) -> None:
    with pytest.raises(ModelfleetError):
        check_alias(alias)
