"""What the shared cache costs in database queries, for the tests that count a request's queries.

The tests run with the database cache as the shared cache (CI sets no REDIS_URL): a read is one query,
a set five (a count for culling, a savepoint, a look-up, the insert, the release), and a session is read
by the plain database engine, one query. With REDIS_URL, as in production, the shared cache is Redis and
the session is read from it (zarechny/sessions.py): none of these is a query. A test counts its request's
own queries exactly and adds these, so it holds, exactly, under both."""

from django.conf import settings

QUERIES_PER_READ = 1
QUERIES_PER_SET = 5


def shared_cache_queries(*, reads: int = 0, sets: int = 0, sessions: int = 0) -> int:
    """The queries of `reads` reads and `sets` sets of the shared cache and `sessions` session reads."""
    if settings.REDIS_URL:
        return 0
    return (reads + sessions) * QUERIES_PER_READ + sets * QUERIES_PER_SET


def shared_reads() -> int:
    """The queries a staff request spends on the shared cache: its session and the office version, one
    query each in the tests' database cache, none with Redis (REDIS_URL, as in production)."""
    return shared_cache_queries(sessions=1, reads=1)
