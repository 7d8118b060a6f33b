"""Personal information (PIPL): encrypted at rest, a keyed hash for look-ups and
duplicate detection, masked in responses. Phone and ID numbers never go into events,
logs or metric labels; ``redact`` is the last line of defence for logs.

Keys (``PII_KEY``) are a key ring, newest first: ``k2:<secret>,k1:<secret>``. New values
are encrypted under the first key and tagged with its id (``pii:k2:<Fernet token>``);
every key of the ring can still decrypt, so a key is rotated by putting a new one in
front, re-encrypting (``python -m common.cli rotate-pii all``), then removing the old one
(docs/operations.md, "Rotate the PII key"). A key with an id is derived from its secret
with scrypt; a value without an id (``PII_KEY=<secret>``, as before key rotation
existed) is the key ``legacy``: SHA-256 of the secret, untagged Fernet tokens. A value
under a key the ring does not hold is an error naming that key id, never garbage.
"""
import base64
import functools
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
# Patterns searched for in free text (logs, events, audits).
PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


LEGACY = "legacy"
TAG = "pii:"
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class UnknownPiiKey(ValueError):
    """A value encrypted under a key id the configured ring does not hold."""

    def __init__(self, key_id):
        self.key_id = key_id
        super().__init__(f"PII value is encrypted under key {key_id!r}, which PII_KEY does "
                         f"not hold (add it back to the ring, e.g. PII_KEY=<new>,"
                         f"{key_id}:<secret>)")


def parse_keyring(value):
    """``[(key_id, secret)]`` from ``PII_KEY``, the current key first. Raises
    ValueError naming what is wrong (never the secret)."""
    entries = [entry.strip() for entry in str(value or "").split(",") if entry.strip()]
    if not entries:
        raise ValueError("PII_KEY is empty")
    ring, seen = [], set()
    for entry in entries:
        key_id, sep, secret = entry.partition(":")
        if not sep:
            key_id, secret = LEGACY, entry
        if not KEY_ID_RE.match(key_id) or key_id in (TAG.rstrip(":"),):
            raise ValueError(f"PII_KEY: key id {key_id!r} is not 1-32 letters, digits, . _ -")
        if not secret:
            raise ValueError(f"PII_KEY: key {key_id!r} has no secret")
        if key_id in seen:
            raise ValueError(f"PII_KEY: key id {key_id!r} appears twice")
        seen.add(key_id)
        ring.append((key_id, secret))
    return ring


@functools.lru_cache(maxsize=64)
def derive_key(key_id, secret):
    """The Fernet key of one ring entry: scrypt (salted with the key id) for a key with an
    id; SHA-256 of the secret for the legacy key, as data written before rotation used."""
    if key_id == LEGACY:
        digest = hashlib.sha256(secret.encode("utf-8")).digest()
    else:
        digest = Scrypt(salt=b"ronghe-pii/" + key_id.encode("ascii"), length=32,
                        n=2 ** 14, r=8, p=1).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(digest)


def key_id_of(token):
    """The id of the key ``token`` was encrypted under."""
    if token.startswith(TAG):
        return token[len(TAG):].split(":", 1)[0]
    return LEGACY


class Pii:
    """Crypto for one process, keyed from configuration (PII_KEY, PII_HASH_KEY)."""

    def __init__(self, key, hash_key):
        if not key or not hash_key:
            raise ValueError("PII_KEY and PII_HASH_KEY are required")
        ring = parse_keyring(key)
        self.current_key_id = ring[0][0]
        self.key_ids = tuple(key_id for key_id, _ in ring)
        self._fernets = {key_id: Fernet(derive_key(key_id, secret)) for key_id, secret in ring}
        self._hash_key = hash_key.encode("utf-8")

    @classmethod
    def from_config(cls, config):
        return cls(config["PII_KEY"], config["PII_HASH_KEY"])

    def encrypt(self, value):
        if value is None:
            return None
        token = self._fernets[self.current_key_id].encrypt(value.encode("utf-8")).decode("ascii")
        if self.current_key_id == LEGACY:
            return token
        return f"{TAG}{self.current_key_id}:{token}"

    def decrypt(self, token):
        if token is None:
            return None
        key_id = key_id_of(token)
        fernet = self._fernets.get(key_id)
        if fernet is None:
            raise UnknownPiiKey(key_id)
        body = token[len(TAG) + len(key_id) + 1:] if token.startswith(TAG) else token
        try:
            return fernet.decrypt(body.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError(f"PII value cannot be decrypted with key {key_id!r} "
                             f"(a different secret under the same id?)") from exc

    def needs_rotation(self, token):
        """Whether ``token`` is under another key than the current one."""
        return token is not None and key_id_of(token) != self.current_key_id

    def rotate(self, token):
        """``token`` re-encrypted under the current key (unchanged if it already is)."""
        return self.encrypt(self.decrypt(token)) if self.needs_rotation(token) else token

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
