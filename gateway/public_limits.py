"""Public writes per phone (registration, door check-in, ideas, votes, feedback), beside
the per-client limit of gateway/ratelimit.py, and the count of what both limits refused."""
import time

from prometheus_client import Counter

from common.metrics import REGISTRY
from gateway.ratelimit import RateLimiter

# Public writes refused by a rate limit: by route template and by which limit (the
# client's address or the phone). No address, phone or hash in a label.
PUBLIC_WRITES_REFUSED = Counter(
    "ronghe_public_writes_refused_total", "Public writes refused by a rate limit (429)",
    ["route", "limit"], registry=REGISTRY)


class PhoneLimiter:
    """Public writes per phone and route, whatever address they come from (a flood of
    registrations from one phone through many clients). The bucket's key is the phone's
    keyed look-up hash: the number is never kept or logged here."""

    def __init__(self, per_minute, crypto, clock=time.monotonic):
        self.buckets = RateLimiter(per_minute, clock)
        self.crypto = crypto

    def allow(self, endpoint, phone):
        if not isinstance(phone, str) or not phone:
            return True
        return self.buckets.allow((endpoint, self.crypto.lookup_hash(phone)))
