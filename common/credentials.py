"""How strong a secret or a password must be: one rule for the production start-up check
(common.config) and for the users the gateway creates (gateway.auth).

Each check answers None when the value is acceptable, else the reason, phrased so that
it can follow the variable's or field's name; a reason never quotes the value.
"""
import math
from collections import Counter

GENERATE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
# A signing or encryption key must carry at least as much as 32 random bytes.
MIN_SECRET_BITS = 256
PASSWORD_MIN_LENGTH = 12
# Words of the templates (.env.example, the Kubernetes secret example) and the
# development defaults: a value containing one was not generated.
PLACEHOLDERS = ("change-me", "changeme", "change_me", "replace-me", "placeholder",
                "example", "ronghe-admin")

_CLASSES = (
    ("lower-case letters", str.islower, 26),
    ("upper-case letters", str.isupper, 26),
    ("digits", str.isdigit, 10),
)
_OTHER_POOL = 32  # printable ASCII punctuation


def _placeholder(value):
    lowered = value.lower()
    return any(word in lowered for word in PLACEHOLDERS)


def _classes(value):
    """The character classes a value draws from, with the size of each."""
    found = {}
    for char in value:
        for name, test, size in _CLASSES:
            if char.isascii() and test(char):
                found[name] = size
                break
        else:
            found["other characters"] = _OTHER_POOL
    return found


def _pool_size(value):
    if all(c in "0123456789abcdef" for c in value) or \
            all(c in "0123456789ABCDEF" for c in value):
        return 16  # hexadecimal
    return sum(_classes(value).values())


def _spread(value):
    """How evenly the value uses its characters: the observed entropy per character over
    the entropy a uniform draw from its pool would have (1.0 for random text, near 0 for
    a repeated character or a short repeated pattern)."""
    counts = Counter(value)
    observed = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    # A random draw of len(value) characters cannot show more distinct ones than that.
    possible = math.log2(min(_pool_size(value), len(value)))
    return observed / possible if possible > 0 else 0.0


def estimated_bits(value):
    """A generous estimate of the randomness in a value: its length times the bits of
    the character pool it draws from. Only meaningful with ``_spread`` near 1."""
    return len(value) * math.log2(max(_pool_size(value), 2))


def secret_weakness(value):
    """Why ``value`` cannot be a production key (JWT signing, PII encryption), or None."""
    if not value:
        return "is empty"
    if _placeholder(value):
        return "is a placeholder or a development default"
    if estimated_bits(value) < MIN_SECRET_BITS:
        return (f"is too short to hold {MIN_SECRET_BITS // 8} random bytes "
                f"(at least 43 URL-safe characters)")
    if _spread(value) < 0.75:
        return "repeats characters: it is not random"
    return None


def password_weakness(password, username=None):
    """Why ``password`` breaks the password policy, or None. The policy: at least
    PASSWORD_MIN_LENGTH characters, from at least two classes (letters, digits, other),
    not the username nor containing it, not a template's placeholder, not mostly one
    character."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"is shorter than {PASSWORD_MIN_LENGTH} characters"
    kinds = (any(c.isalpha() for c in password) + any(c.isdigit() for c in password)
             + any(not c.isalnum() for c in password))
    if kinds < 2:
        return "uses one kind of character only: mix letters with digits or symbols"
    if username and username.lower() in password.lower():
        return "contains the username"
    if _placeholder(password):
        return "is a placeholder or a development default"
    if max(Counter(password).values()) > len(password) // 2:
        return "repeats one character"
    return None
