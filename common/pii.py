"""Personal information (PIPL): encrypted at rest, a keyed hash for look-ups and
duplicate detection, masked in responses. Phone and ID numbers never go into events,
logs or metric labels; ``redact`` is the last line of defence for logs.
"""
import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
# Patterns searched for in free text (logs, events, audits).
PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


class Pii:
    """Crypto for one process, keyed from configuration (PII_KEY, PII_HASH_KEY)."""

    def __init__(self, key, hash_key):
        if not key or not hash_key:
            raise ValueError("PII_KEY and PII_HASH_KEY are required")
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._hash_key = hash_key.encode("utf-8")

    @classmethod
    def from_config(cls, config):
        return cls(config["PII_KEY"], config["PII_HASH_KEY"])

    def encrypt(self, value):
        if value is None:
            return None
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token):
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("PII token cannot be decrypted with this key") from exc

    def lookup_hash(self, value):
        """Keyed hash of a normalised value: equal inputs give equal hashes, and the
        hash reveals nothing without the key."""
        if value is None:
            return None
        normalised = normalise(value)
        return hmac.new(self._hash_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def normalise(value):
    value = re.sub(r"[\s-]", "", str(value)).upper()
    if value.startswith("+86"):
        value = value[3:]
    return value


def is_phone(value):
    return bool(PHONE_RE.match(normalise(value)))


def is_id_number(value):
    return bool(ID_NUMBER_RE.match(normalise(value)))


def mask_phone(value):
    """138****1234"""
    if not value:
        return value
    value = normalise(value)
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value):
    """3502**********1234"""
    if not value:
        return value
    value = normalise(value)
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value):
    """张** — a name shown to people who may not see it in full."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


# user:password@ in a URI. nameko masks only the first of an AMQP_URI listing several
# broker nodes ("amqp://u:****@a;amqp://u:secret@b") when it logs a connection error.
URI_PASSWORD = re.compile(r"(://[^:/@\s;]*:)[^@\s;]+@")


def redact(text):
    text = URI_PASSWORD.sub(r"\1********@", text)
    text = PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    return ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


def contains_pii(text):
    return bool(PHONE_IN_TEXT.search(text) or ID_IN_TEXT.search(text))


from nameko.extensions import DependencyProvider


class PiiCrypto(DependencyProvider):
    """Gives workers the process's ``Pii`` (keys from PII_KEY / PII_HASH_KEY)."""

    def setup(self):
        self.pii = Pii.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.pii
