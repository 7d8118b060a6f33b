"""Re-encrypting personal data under the current PII key (``python -m common.cli
rotate-pii``): every ``*_enc`` column of a process's tables, in batches of rows, each
batch its own transaction, with progress reported; then a census of the key ids still in
use, which says when an old key can leave ``PII_KEY``. Safe while the services run: a row
changed meanwhile is left alone (its writer used the current key)."""
from collections import Counter

from sqlalchemy import and_, func, or_, select, update

ENCRYPTED_SUFFIX = "_enc"


def encrypted_columns(metadata):
    """``[(table, [columns])]``: the tables holding encrypted values."""
    out = []
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith(ENCRYPTED_SUFFIX)]
        if columns:
            out.append((table, columns))
    return out


def _primary_key(table):
    (pk,) = table.primary_key.columns  # every table with personal data has an integer id
    return pk


def rotate(engine, metadata, crypto, batch_size=500, report=print, label=""):
    """Re-encrypt under ``crypto.current_key_id`` every value under another key. Returns
    the number of values re-encrypted. Raises ``UnknownPiiKey`` (naming the key id) if a
    value is under a key the ring does not hold: nothing of that batch is written."""
    rotated = 0
    for table, columns in encrypted_columns(metadata):
        pk = _primary_key(table)
        any_value = or_(*(c.isnot(None) for c in columns))
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(table).where(any_value)).scalar_one()
        done, changed, last = 0, 0, None
        while True:
            query = select(pk, *columns).where(any_value).order_by(pk).limit(batch_size)
            if last is not None:
                query = query.where(pk > last)
            with engine.begin() as conn:
                rows = conn.execute(query).all()
                for row in rows:
                    values = dict(zip([c.name for c in columns], row[1:]))
                    new = {name: crypto.rotate(value) for name, value in values.items()
                           if crypto.needs_rotation(value)}
                    if new:
                        unchanged = and_(*(table.c[name] == values[name] for name in new))
                        result = conn.execute(update(table).where(pk == row[0], unchanged)
                                              .values(**new))
                        changed += len(new) if result.rowcount else 0
            if not rows:
                break
            last = rows[-1][0]
            done += len(rows)
            report(f"{label}{table.name}: {done}/{total} rows read, {changed} values "
                   f"re-encrypted under key {crypto.current_key_id!r}")
        rotated += changed
    return rotated


def census(engine, metadata):
    """How many encrypted values are under each key id."""
    from common.pii import key_id_of

    counts = Counter()
    for table, columns in encrypted_columns(metadata):
        with engine.connect() as conn:
            for column in columns:
                for (value,) in conn.execute(select(column).where(column.isnot(None))):
                    counts[key_id_of(value)] += 1
    return counts
