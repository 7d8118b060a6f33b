"""Idempotent writes: a client that retries a write with the same ``Idempotency-Key`` gets
the first answer, and the write is done once, even when the first answer was lost (the
gateway answered 503 after its wait, but the service had stored the record).

The gateway (``gateway/idempotency.py``) turns the header into a *scoped key* (a hash of
the user, or the client of a public route, and the client's key) and a *fingerprint* of
the request (a hash of method, path and canonical body), and sends both with every RPC
of that request in nameko's context data. A writing entrypoint takes part with
``@idempotent`` under ``@rpc``:

    @rpc
    @idempotent
    def create_team(self, data):
        with self.store.unit_of_work() as uow:
            return domain.create_team(uow, data)

The first unit of work of a keyed call records the key in the same transaction as the
write (``Store.unit_of_work`` calls ``claim``), so a write that committed is always found
by its key; its answer is stored right after. A repeat gets the stored answer without
running the method; a repeat with another fingerprint is 409 ``IDEMPOTENCY_KEY_REUSED``;
one that arrives while the first is still running waits briefly for its answer, else is
409 ``IDEMPOTENCY_KEY_IN_PROGRESS``. A call that failed stored nothing (its transaction
rolled back), so its repeat runs again. Keys are kept ``IDEMPOTENCY_RETENTION_HOURS``
(24) and purged by the keyed writes that come after.

The key is taken out of the context data by the entrypoint that uses it, so the calls
that entrypoint makes to other services do not carry it.
"""
import functools
from dataclasses import dataclass
from datetime import timedelta

import eventlet
from kombu.utils import json as wire_json
from sqlalchemy import Column, DateTime, Index, String, Table, Text, bindparam, text

from common import times
from nameko.exceptions import deserialize_to_instance

from common.errors import Conflict

TABLE = "idempotency_keys"
KEY_CONTEXT = "idempotency_key"
FINGERPRINT_CONTEXT = "idempotency_fingerprint"
RETENTION_SETTING = "IDEMPOTENCY_RETENTION_HOURS"
DEFAULT_RETENTION_HOURS = 24
# How long a repeat waits for the answer of a first call still running.
IN_PROGRESS_WAIT_SECONDS = 2.0
_POLL_SECONDS = 0.05

# The clock, replaceable in tests (expiry without waiting a day).
clock = times.now


def define_table(metadata):
    return Table(
        TABLE, metadata,
        Column("key", String(64), primary_key=True),  # sha256 of scope and client's key
        Column("fingerprint", String(64), nullable=False),  # sha256 of the request
        Column("entrypoint", String(64), nullable=False),
        Column("answer", Text, nullable=True),  # JSON; NULL until the write committed
        Column("created_at", DateTime(timezone=True), nullable=False),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )


@deserialize_to_instance
class KeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"


@deserialize_to_instance
class KeyInProgress(Conflict):
    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


@dataclass
class KeyedRequest:
    key: str
    fingerprint: str
    entrypoint: str
    retention: timedelta
    claimed: bool = False

    def claim(self, session):
        """Record the key in the caller's transaction (once per call): expired keys are
        purged first; a key already there means another call with it got here first."""
        if self.claimed:
            return
        now = clock()
        conn = session.connection()
        conn.execute(_PURGE, {"cutoff": now - self.retention})
        inserted = conn.execute(_CLAIM, {"key": self.key, "fingerprint": self.fingerprint,
                                         "entrypoint": self.entrypoint,
                                         "created_at": now}).rowcount == 1
        if not inserted:
            raise _AlreadyClaimed()
        self.claimed = True


class _AlreadyClaimed(Exception):
    """Another call with the key committed first: this one's transaction rolls back."""


_AT = DateTime(timezone=True)
_PURGE = text(f"DELETE FROM {TABLE} WHERE created_at < :cutoff").bindparams(
    bindparam("cutoff", type_=_AT))
_CLAIM = text(
    f"INSERT INTO {TABLE} (key, fingerprint, entrypoint, answer, created_at) "
    "VALUES (:key, :fingerprint, :entrypoint, NULL, :created_at) ON CONFLICT DO NOTHING"
).bindparams(bindparam("created_at", type_=_AT))
_ANSWER = text(
    f"INSERT INTO {TABLE} (key, fingerprint, entrypoint, answer, created_at) "
    "VALUES (:key, :fingerprint, :entrypoint, :answer, :created_at) "
    "ON CONFLICT (key) DO UPDATE SET answer = excluded.answer"
).bindparams(bindparam("created_at", type_=_AT))
_FIND = text(
    f"SELECT fingerprint, answer FROM {TABLE} WHERE key = :key AND created_at >= :cutoff"
).bindparams(bindparam("cutoff", type_=_AT))

_NOT_FOUND = object()


def keyed_request(store, entrypoint):
    """The key and fingerprint the caller sent with this call, or None; taken out of the
    worker's context data so that calls this one makes do not carry them."""
    context = store.context_data
    key = context.pop(KEY_CONTEXT, None)
    fingerprint = context.pop(FINGERPRINT_CONTEXT, None)
    if not key or not fingerprint:
        return None
    return KeyedRequest(str(key)[:64], str(fingerprint)[:64], entrypoint[:64],
                        store.idempotency_retention)


def run_once(store, request, call):
    """``call()`` once per key: its first unit of work records the key, its answer is
    stored after; a repeat gets that answer. ``request`` None: just ``call()``."""
    if request is None:
        return call()
    stored = _stored_answer(store, request)
    if stored is not _NOT_FOUND:
        return stored
    store.keyed_request = request
    try:
        result = call()
    except _AlreadyClaimed:
        # A concurrent call with the key committed while this one ran: its answer.
        return _stored_answer(store, request, claimed=True)
    finally:
        store.keyed_request = None
    with store.session() as session:
        session.connection().execute(_ANSWER, {
            "key": request.key, "fingerprint": request.fingerprint,
            "entrypoint": request.entrypoint, "answer": wire_json.dumps(result),
            "created_at": clock()})
    return result


def _stored_answer(store, request, claimed=False):
    """The answer stored under the key (``_NOT_FOUND`` if none and not ``claimed``);
    KeyReused if the key was used for another request; KeyInProgress if the first call
    has not stored its answer after a brief wait."""
    waited = 0.0
    while True:
        with store.session() as session:
            row = session.connection().execute(
                _FIND, {"key": request.key, "cutoff": clock() - request.retention}).first()
        if row is None and not claimed:
            return _NOT_FOUND
        if row is not None:
            if row.fingerprint != request.fingerprint:
                raise KeyReused("idempotency_key_reused",
                                {"Idempotency-Key": ["idempotency_key_other_request"]})
            if row.answer is not None:
                return wire_json.loads(row.answer)
        if waited >= IN_PROGRESS_WAIT_SECONDS:
            raise KeyInProgress("idempotency_key_in_progress", {"Idempotency-Key": ["in_progress"]})
        eventlet.sleep(_POLL_SECONDS)
        waited += _POLL_SECONDS


def idempotent(method):
    """Makes a writing ``@rpc`` entrypoint honour the caller's idempotency key (put it
    under ``@rpc``). The method opens its units of work as usual."""

    @functools.wraps(method)
    def entrypoint(self, *args, **kwargs):
        request = keyed_request(self.store, method.__name__)
        return run_once(self.store, request, lambda: method(self, *args, **kwargs))

    return entrypoint
