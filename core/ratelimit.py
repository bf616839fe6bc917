"""Per-caller request budgets of the API, counted in fixed one-minute windows.

Where the budgets are kept is the RATELIMIT_STORAGE_URI setting: `memory://`
counts in each worker process, anything else (`redis://…`) is a shared storage
of the `limits` package, so every worker spends from one budget.
"""

import hashlib
import threading
import time

from flask import Flask, current_app, request
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from core.context import bearer_token

WINDOW_SECONDS = 60


class LocalBudgets:
    """Budgets of this process: a dict of windows under a lock.

    The `limits` memory storage starts a timer thread to expire its counters
    on nearly every request; for one process a dict swept once a window does
    the same counting without one.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.windows: dict[str, list] = {}
        self.next_sweep = 0.0

    def hit(self, key: str, limit: int) -> tuple[bool, int, float]:
        """Count one request; (allowed, remaining, reset time) of its window."""
        now = time.time()
        with self.lock:
            if now >= self.next_sweep:
                self.windows = {k: w for k, w in self.windows.items() if w[0] > now}
                self.next_sweep = now + WINDOW_SECONDS
            window = self.windows.get(key)
            if window is None or window[0] <= now:
                window = self.windows[key] = [now + WINDOW_SECONDS, 0]
            window[1] += 1
            return window[1] <= limit, max(0, limit - window[1]), window[0]


class SharedBudgets:
    """Budgets in a `limits` storage shared by every worker (Redis)."""

    def __init__(self, uri: str):
        self.limiter = FixedWindowRateLimiter(storage_from_string(uri))

    def hit(self, key: str, limit: int) -> tuple[bool, int, float]:
        """Count one request; (allowed, remaining, reset time) of its window."""
        item = RateLimitItemPerMinute(limit)
        allowed = self.limiter.hit(item, key)
        reset, remaining = self.limiter.get_window_stats(item, key)
        return allowed, remaining, reset


def init_app(app: Flask) -> None:
    """Give the app the budgets its RATELIMIT_STORAGE_URI names."""
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    budgets = LocalBudgets() if uri.startswith("memory://") else SharedBudgets(uri)
    app.extensions["request_budgets"] = budgets


def caller_key() -> str:
    """Who a request counts against: its API token, else its user, else its address."""
    from flask_login import current_user

    plain = bearer_token(request.environ)
    if plain is not None:
        return token_key(hashlib.sha256(plain.encode()).hexdigest())
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{request.remote_addr or ''}"


def token_key(digest: str) -> str:
    """Who a token's requests count against, from the token's SHA-256 digest."""
    return f"token:{digest[:32]}"


def spend(scope: str, limit: int, caller: str | None = None) -> tuple[bool, int, float]:
    """Count a request against its caller's budget for `scope`.

    The caller is the current request's (`caller_key`) unless named.
    """
    budgets = current_app.extensions["request_budgets"]
    return budgets.hit(f"{caller or caller_key()}/{scope}", limit)


def charge(scope: str, caller: str | None = None) -> tuple[bool, list[tuple]]:
    """Spend one request of the API budget for `scope`: (allowed, headers to send).

    With RATELIMIT_ENABLED off everything is allowed and no header is sent; the
    X-RateLimit headers (and Retry-After) come with RATELIMIT_HEADERS_ENABLED.
    """
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return True, []
    amount = int(config["API_RATE_LIMIT_PER_MINUTE"])
    allowed, remaining, reset = spend(scope, amount, caller)
    if not config.get("RATELIMIT_HEADERS_ENABLED", False):
        return allowed, []
    return allowed, [
        ("X-RateLimit-Limit", str(amount)),
        ("X-RateLimit-Remaining", str(remaining)),
        ("X-RateLimit-Reset", str(int(reset))),
        ("Retry-After", str(max(0, int(reset - time.time())))),
    ]
