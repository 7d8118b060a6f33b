"""Public routes are rate-limited per client."""
from gateway.ratelimit import RateLimiter


def test_bucket_refills_with_time():
    now = [0.0]
    limiter = RateLimiter(per_minute=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another client has its own bucket
    now[0] += 20  # one token per 20 s at 3/minute
    assert limiter.allow("a") and not limiter.allow("a")


def test_public_login_answers_429_past_the_limit(stack):
    stack.start("gateway", PUBLIC_RATE_LIMIT_PER_MINUTE="5")
    client = stack.client(login=False)
    statuses = [client.post("/auth/login", json={"username": "x", "password": "y"}).status_code
                for _ in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    body = client.post("/auth/login", json={"username": "x", "password": "y"}).json()
    assert body["error"] == "RATE_LIMITED"
