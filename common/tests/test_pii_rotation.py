"""Rotating the PII key end to end on PostgreSQL: data written under key 1 stays readable
while key 2 is current, ``rotate-pii`` re-encrypts it in batches, key 1 is removed, and
every record still reads back; a value under a key the ring lacks is an error naming it."""
import os
import secrets
import subprocess
import sys

import pytest

from common import pii
from common.config import ROOT
from common.db import StoreAccess  # noqa: F401 - LocalStore's base
from common.pii_rotation import census
from common.testing import LocalStore
from services.volunteers import domain
from services.volunteers.models import Volunteer, metadata

KEY1 = secrets.token_urlsafe(48)
KEY2 = secrets.token_urlsafe(48)
HASH_KEY = secrets.token_urlsafe(48)


def volunteer(i):
    return {"name": f"林阿姨{i}", "phone": f"138{i:08d}", "id_number": f"35020319900101{i:04d}",
            "gender": "female", "birth_year": 1960, "compound": "fulong_huayuan", "skills": [],
            "availability": []}


def read_all(store, crypto):
    with store.session() as session:
        rows = session.query(Volunteer).order_by(Volunteer.id).all()
        return [(crypto.decrypt(v.name_enc), crypto.decrypt(v.phone_enc),
                 crypto.decrypt(v.id_number_enc)) for v in rows]


def test_keys_with_ids_tag_their_values_and_an_unknown_key_is_named():
    old = pii.Pii(KEY1, HASH_KEY)  # as before rotation: the legacy key, untagged tokens
    legacy_token = old.encrypt("13800000001")
    assert not legacy_token.startswith("pii:")
    ring = pii.Pii(f"k2:{KEY2},legacy:{KEY1}", HASH_KEY)
    new_token = ring.encrypt("13800000001")
    assert new_token.startswith("pii:k2:") and "13800000001" not in new_token
    assert ring.decrypt(legacy_token) == ring.decrypt(new_token) == "13800000001"
    assert ring.needs_rotation(legacy_token) and not ring.needs_rotation(new_token)
    only_k2 = pii.Pii(f"k2:{KEY2}", HASH_KEY)
    with pytest.raises(pii.UnknownPiiKey, match="'legacy'"):
        only_k2.decrypt(legacy_token)
    with pytest.raises(pii.UnknownPiiKey, match="'k9'") as raised:
        only_k2.decrypt("pii:k9:" + new_token[len("pii:k2:"):])
    assert raised.value.key_id == "k9"
    # the same id with another secret: an error, not garbage
    with pytest.raises(ValueError, match="'k2'"):
        pii.Pii(f"k2:{KEY1}", HASH_KEY).decrypt(new_token)
    # look-up hashes do not depend on the encryption key
    assert ring.lookup_hash("13800000001") == old.lookup_hash("13800000001")


@pytest.mark.parametrize("bad", ["", "k1:", "k 1:abc", "k1:a,k1:b"])
def test_a_malformed_key_ring_is_refused(bad):
    with pytest.raises(ValueError):
        pii.Pii(bad, HASH_KEY)


def test_rotation_end_to_end_on_postgresql(make_db_uri):
    uri = make_db_uri("pii_rotation", "postgresql")
    store = LocalStore(metadata, "volunteers", uri)
    try:
        key1 = pii.Pii(f"k1:{KEY1}", HASH_KEY)
        for i in range(7):
            with store.uow() as uow:
                domain.register_volunteer(uow, key1, volunteer(i))
        expected = read_all(store, key1)
        assert len(expected) == 7 and census(store.engine, metadata) == {"k1": 7 * 3}

        # key 2 in front: new writes use it, the old ones stay readable
        both = pii.Pii(f"k2:{KEY2},k1:{KEY1}", HASH_KEY)
        with store.uow() as uow:
            domain.register_volunteer(uow, both, volunteer(7))
        expected = read_all(store, both)
        assert census(store.engine, metadata) == {"k1": 21, "k2": 3}

        env = dict(os.environ, VOLUNTEERS_DB_URI=uri, PII_KEY=f"k2:{KEY2},k1:{KEY1}",
                   PII_HASH_KEY=HASH_KEY)
        result = subprocess.run([sys.executable, "-m", "common.cli", "rotate-pii",
                                 "volunteers", "--batch", "3"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        log = result.stdout + result.stderr
        assert "volunteers.volunteers: 3/8 rows read" in log  # progress, batch by batch
        assert "volunteers.volunteers: 8/8 rows read, 21 values re-encrypted under key 'k2'" in log
        assert "can now be removed from PII_KEY" in log
        assert census(store.engine, metadata) == {"k2": 24}

        # key 1 retired: every record still reads the same
        assert read_all(store, pii.Pii(f"k2:{KEY2}", HASH_KEY)) == expected

        # a record under a key the ring does not hold: the command names it and stops
        with store.engine.begin() as conn:
            conn.execute(Volunteer.__table__.update().where(Volunteer.id == 1).values(
                name_enc="pii:k0:" + key1.encrypt("x")[len("pii:k1:"):]))
        env["PII_KEY"] = f"k3:{secrets.token_urlsafe(48)},k2:{KEY2}"
        result = subprocess.run([sys.executable, "-m", "common.cli", "rotate-pii",
                                 "volunteers"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 1
        assert "key 'k0'" in result.stdout + result.stderr
    finally:
        store.dispose()


def test_production_checks_each_key_of_the_ring_and_names_it():
    from common.config import ConfigError, load_config

    env = {"RONGHE_ENV": "production", "PII_KEY": f"k2:{KEY2},k1:change-me",
           "PII_HASH_KEY": HASH_KEY, "PUBLIC_BASE_URL": "https://hetong.example.org"}
    with pytest.raises(ConfigError) as refused:
        load_config("volunteers", environ=env)
    assert "PII_KEY (key k1)" in str(refused.value) and "PII_KEY (key k2)" not in str(refused.value)
    assert KEY2 not in str(refused.value)
    env["PII_KEY"] = f"k2:{KEY2},k1:{KEY1}"
    assert load_config("volunteers", environ=env)["PII_KEY"] == env["PII_KEY"]
