"""A fixed-window request counter in Django's cache, for the public survey page.

Shared by every process when the cache is (Redis, Memcached); per process with the default
in-memory cache, which still bounds what one client can do to one process.
"""

from django.core.cache import cache


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one request under ``key``; False once more than ``limit`` arrived in the
    current window of ``window_seconds``."""
    key = f"comptoir:ratelimit:{key}"
    cache.add(key, 0, timeout=window_seconds)  # starts the window; no-op if running
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def client_ip(request) -> str:
    """The client's address as this process sees it (a proxy in front sets REMOTE_ADDR
    through the server's own configuration, never from a header a client can forge)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
