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


class LoginThrottle:
    """Growing delays after failed logins, so that guessing is slow and nobody is locked
    out by someone else's guesses.

    Failures are counted per account at a client (an address), per client over every
    account, and per account over every client. Past its free failures, each count asks
    the client to wait before its next attempt: ``first_delay`` (1 s), doubling with
    each further failure, up to ``max_delay``. A client waits only for counts it took
    part in: an attacker's guesses at the admin's account slow the attacker, never the
    admin at another address. The account's own count (a guess from many addresses)
    slows every address that has already failed on it, after that address's first
    failure. A success clears the count of that account at that client. Counts are
    forgotten once idle for twice the longest delay."""

    def __init__(self, free_failures=5, max_delay=900, first_delay=1, client_free_failures=20,
                 account_free_failures=20, clock=time.monotonic):
        self.free = {"pair": int(free_failures), "client": int(client_free_failures),
                     "account": int(account_free_failures)}
        self.max_delay = float(max_delay)
        self.first_delay = float(first_delay)
        self.clock = clock
        self.failures = {}  # (kind, key) -> (count, time of the last failure)

    def _keys(self, account, client):
        return {"pair": ("pair", account, client), "client": ("client", client),
                "account": ("account", account)}

    def _delay(self, count, free):
        excess = count - free
        return 0.0 if excess <= 0 else \
            min(self.max_delay, self.first_delay * 2.0 ** (excess - 1))

    def _count(self, key, now):
        """(failures, time of the last) of a count still remembered, else None."""
        entry = self.failures.get(key)
        if entry is not None and now - entry[1] >= 2 * self.max_delay:
            return None  # idle long enough: forgotten
        return entry

    def wait(self, account, client):
        """Seconds this client must still wait before trying this account (0: go)."""
        now = self.clock()
        keys = self._keys(account, client)
        tried_here = self._count(keys["pair"], now) is not None
        longest = 0.0
        for kind, key in keys.items():
            entry = self._count(key, now)
            if entry is None or (kind == "account" and not tried_here):
                continue
            count, last = entry
            longest = max(longest, last + self._delay(count, self.free[kind]) - now)
        return max(0.0, longest)

    def failed(self, account, client):
        now = self.clock()
        for key in self._keys(account, client).values():
            count, _ = self._count(key, now) or (0, now)
            self.failures[key] = (count + 1, now)
        if len(self.failures) > 100_000:  # drop forgotten counts rather than grow forever
            self.failures = {k: v for k, v in self.failures.items()
                             if self._count(k, now) is not None}

    def succeeded(self, account, client):
        self.failures.pop(self._keys(account, client)["pair"], None)
