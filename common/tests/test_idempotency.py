"""Idempotency keys in the kernel, on SQLite and PostgreSQL: the key commits with the
write or not at all, a failed write leaves no key (its repeat runs), a repeat gets the
stored answer. And every writing entrypoint takes part."""
import ast
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, Table, func, insert, select

from common import idempotency
from common.db import make_metadata
from common.errors import ValidationFailed
from common.testing import LocalStore

metadata = make_metadata()
written = Table("written", metadata, Column("n", Integer, nullable=False))
SERVICES = Path(__file__).resolve().parents[2] / "services"


@pytest.fixture
def store(make_db_uri, db_backend):
    local = LocalStore(metadata, "volunteers", make_db_uri("idempotency_unit", db_backend))
    yield local
    local.dispose()


def request(key="k" * 64, fingerprint="f" * 64):
    return idempotency.KeyedRequest(key, fingerprint, "write", timedelta(hours=24))


def writes(store):
    with store.session() as session:
        return session.execute(select(func.count()).select_from(written)).scalar_one()


def write(store, n, fail=False):
    with store.unit_of_work() as uow:
        uow.session.execute(insert(written).values(n=n))
        if fail:
            raise ValidationFailed("refused", {"n": ["refused"]})
    return {"n": n}


def test_a_repeat_gets_the_stored_answer_without_writing(store):
    assert idempotency.run_once(store, request(), lambda: write(store, 1)) == {"n": 1}
    assert idempotency.run_once(store, request(), lambda: write(store, 2)) == {"n": 1}
    assert writes(store) == 1


def test_a_failed_write_leaves_no_key_and_its_repeat_runs(store):
    with pytest.raises(ValidationFailed):
        idempotency.run_once(store, request(), lambda: write(store, 1, fail=True))
    assert writes(store) == 0 and store.count(metadata.tables["idempotency_keys"]) == 0
    assert idempotency.run_once(store, request(), lambda: write(store, 2)) == {"n": 2}
    assert writes(store) == 1


def test_the_key_for_another_request_is_refused(store):
    idempotency.run_once(store, request(), lambda: write(store, 1))
    with pytest.raises(idempotency.KeyReused):
        idempotency.run_once(store, request(fingerprint="g" * 64), lambda: write(store, 2))
    assert writes(store) == 1


def test_a_key_whose_write_committed_without_an_answer_is_in_progress(store, monkeypatch):
    """The first call committed its write and key, and has not stored its answer yet (or
    its process died just then): a repeat never writes again."""
    monkeypatch.setattr(idempotency, "IN_PROGRESS_WAIT_SECONDS", 0)
    first = request()
    store.keyed_request = first
    write(store, 1)
    store.keyed_request = None
    with pytest.raises(idempotency.KeyInProgress):
        idempotency.run_once(store, request(), lambda: write(store, 2))
    assert writes(store) == 1


def _decorators(function):
    return {d.id if isinstance(d, ast.Name) else getattr(d, "attr", None)
            for d in function.decorator_list}


# Reads that write only a record of the read itself: answered afresh on every call, and
# never kept in the store of answers (a case file's answer holds personal data).
READS_THAT_RECORD_THE_READ = {"resources.get_case", "resources.export_case_person"}


def test_every_entrypoint_that_writes_is_idempotent():
    exempt_seen = set()
    for path in SERVICES.glob("*/service.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and "rpc" in _decorators(node) \
                    and "unit_of_work" in ast.unparse(node):
                name = f"{path.parent.name}.{node.name}"
                if name in READS_THAT_RECORD_THE_READ:
                    exempt_seen.add(name)
                    assert "idempotent" not in _decorators(node), name
                    continue
                assert "idempotent" in _decorators(node), name
    assert exempt_seen == READS_THAT_RECORD_THE_READ  # no stale exemption
