"""Open311 benchmark (issue 16): GET /open311/v2/requests.json for the last 90 days on PostgreSQL with a
large fill, the query plan (EXPLAIN ANALYZE) and the number of queries.

    createdb -h 127.0.0.1 -U postgres bench_open311
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_open311 .venv/bin/python bench/open311_bench.py
    # again without refilling:  … bench/open311_bench.py --skip-fill
    # smaller:                  … bench/open311_bench.py --messages 200000

The fill is the statistics benchmark's (bench/stats_bench.py: COPY of messages and events over 5 years;
no answers, photos or authors, so the answers' and photos' prefetches are empty here — each is one
indexed query on the page's ids whatever the table size). The requests run with Django's test Client in
this process (full middleware stack, no network): one warm-up, then --runs timed; median and max.
"""

import argparse
import statistics
import sys
from datetime import datetime, timedelta

import stats_bench  # sets up Django (its module level) and holds the generator and the COPY loader
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

MSK = stats_bench.MSK


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2286)
    parser.add_argument("--skip-fill", action="store_true")
    args = parser.parse_args()
    # The fill ends at this moment; the benchmark asks for the 90 days before it.
    args.now = datetime(2026, 11, 28, 18, 0, tzinfo=MSK)
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…/bench_open311")
    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    call_command("bootstrap", verbosity=0)
    if not args.skip_fill:
        print(f"filling {args.messages:,} messages over {args.years} years …")
        counts, seconds = stats_bench.fill(args)
        print(f"filled {counts} in {seconds:.0f} s")

    from api import selectors
    from messages.models import Message

    end = args.now
    start = end - timedelta(days=90)
    window = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    public = selectors.public_requests().filter(submitted_at__gte=start, submitted_at__lte=end)
    print(f"messages: {Message.objects.count():,}; public in the 90 days: {public.count():,}")

    query = public.order_by("-submitted_at", "-id")[:101]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\nEXPLAIN ANALYZE of the page query (page_size=100):")
        for (line,) in cursor.fetchall():
            print("  " + line)

    client = Client()
    last_page = max(1, min(100_000, public.count() // 100))
    cases = [
        ("requests.json, 90 days, page 1 (100)", "/open311/v2/requests.json", window),
        ("requests.xml, 90 days, page 1 (100)", "/open311/v2/requests.xml", window),
        (
            "requests.json, 90 days, page_size=1000",
            "/open311/v2/requests.json",
            {**window, "page_size": 1000},
        ),
        (
            "requests.json, 90 days, status=closed",
            "/open311/v2/requests.json",
            {**window, "status": "closed"},
        ),
        ("requests.json, 90 days, last page", "/open311/v2/requests.json", {**window, "page": last_page}),
        ("requests.json, default (last 90 days)", "/open311/v2/requests.json", {}),
    ]
    print(f"\n{'request':45} {'median':>8} {'max':>8} {'queries':>8}   ({args.runs} runs after 1 warm-up)")
    for label, url, params in cases:
        client.get(url, params)
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = stats_bench.time.perf_counter()
                response = client.get(url, params)
                times.append(stats_bench.time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
        print(
            f"{label:45} {statistics.median(times) * 1000:7.0f}ms {max(times) * 1000:7.0f}ms {len(queries):8}"
        )


if __name__ == "__main__":
    main()
