"""Per-client token buckets for public routes (registration, ideas, verification)."""
import time


class RateLimiter:
    def __init__(self, per_minute, clock=time.monotonic):
        self.capacity = max(1, int(per_minute))
        self.rate = self.capacity / 60.0
        self.clock = clock
        self.buckets = {}

    def allow(self, key):
        now = self.clock()
        tokens, last = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > 50_000:  # forget idle clients rather than grow forever
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 120}
        return True


# -- public writes per phone -------------------------------------------------------------

from prometheus_client import Counter  # noqa: E402

from common.metrics import REGISTRY  # noqa: E402

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
