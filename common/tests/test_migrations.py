"""Each process's Alembic history builds exactly the schema of its models, on SQLite and
PostgreSQL: a model changed without a migration fails here."""
import pytest

from common import migrate
from common.config import PROCESSES


@pytest.mark.parametrize("process", PROCESSES)
def test_migrations_match_models(process, db_backend, make_db_uri):
    uri = make_db_uri(f"mig_{process}", db_backend)
    assert migrate.pending_changes(process, uri) == []
