"""The migration fast path's head revision is the one Alembic's scripts end at."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from modelfleet.store import migrate


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    script = ScriptDirectory(str(migrate.MIGRATIONS_DIR))

    assert script.get_heads() == [migrate.HEAD_REVISION]
