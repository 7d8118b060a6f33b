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
