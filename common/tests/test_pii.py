import pytest

from common import pii


@pytest.fixture
def crypto():
    return pii.Pii("key-one", "hash-key-one")


def test_phone_masking():
    assert pii.mask_phone("13812341234") == "138****1234"
    assert pii.mask_phone("+86 138-1234-1234") == "138****1234"


def test_id_number_masking():
    assert pii.mask_id_number("350203199001011234") == "3502**********1234"


def test_encryption_round_trip_and_no_plaintext(crypto):
    token = crypto.encrypt("13812341234")
    assert "13812341234" not in token
    assert crypto.decrypt(token) == "13812341234"


def test_wrong_key_cannot_decrypt(crypto):
    token = crypto.encrypt("13812341234")
    with pytest.raises(ValueError):
        pii.Pii("another-key", "hash-key-one").decrypt(token)


def test_lookup_hash_is_keyed_and_normalised(crypto):
    assert crypto.lookup_hash("138 1234 1234") == crypto.lookup_hash("+8613812341234")
    assert crypto.lookup_hash("13812341234") != pii.Pii("key-one", "other").lookup_hash("13812341234")
    assert "13812341234" not in crypto.lookup_hash("13812341234")


def test_redact_hides_phones_and_id_numbers_in_text():
    text = pii.redact("call 13812341234 or id 35020319900101123X now")
    assert "13812341234" not in text and "35020319900101123X" not in text
    assert not pii.contains_pii(text)


@pytest.mark.parametrize("value,ok", [("13812341234", True), ("12812341234", False),
                                      ("1381234123", False), ("abc", False)])
def test_phone_validation(value, ok):
    assert pii.is_phone(value) is ok
