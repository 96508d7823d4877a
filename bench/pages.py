"""Page benchmark (issue 14): every public and staff page side by side, as ratios to /healthz, in one run.

    createdb -h 127.0.0.1 -U postgres bench_pages
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages .venv/bin/python bench/pages.py
    # again on the same data:   ... bench/pages.py --skip-fill
    # smaller / shorter:        ... bench/pages.py --messages 100000 --duration 5
    make bench                  # the same, DATABASE_URL required

Needs `wrk` (Debian package `wrk`) and PostgreSQL.

What it does:
1. `migrate`, `bootstrap`, then (unless --skip-fill) fills --messages messages with the COPY loader of
   bench/stats_bench.py and rebuilds the statistics (`refresh_rollups()`); `collectstatic`.
2. Creates three staff accounts (bench-moderator, bench-executor, bench-supervisor @zarechny.local), each
   an Official with an enrolled authenticator app (TOTP, allauth), and logs each in the way a person
   does: password, then the current code of the authenticator (STAFF_REQUIRE_MFA stays on, as in
   production). The session cookies go to wrk.
3. Counts the queries of one request per page with Django's test Client in this process
   (CaptureQueriesContext), with the SQL time and the wall time of that request.
4. Starts gunicorn (--workers sync workers, 2 by default) with the production settings: DEBUG=0, a bench
   SECRET_KEY, ALLOWED_HOSTS, the manifest static storage; the WSGI module is bench/wsgi_bench.py, which
   is the site plus one path served without any middleware (the floor of Django itself).
5. Runs `wrk -t2 -c16 -d15s --latency` over /healthz and every page in turn and prints the table:
   req/s, ratio to /healthz, p50/p99 latency, failed requests (non-2xx answers and wrk's timeouts),
   queries, SQL / wall of one request (in process, before the run). Between pages it waits until the
   workers have drained what wrk left queued.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "zarechny.settings",
    "DEBUG": "0",
    "TESTING": "0",
    "SECRET_KEY": "page-benchmark-only-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "VAR_DIR": str(ROOT / "var" / "bench"),
    "LOG_LEVEL": "WARNING",
}
for name, value in BENCH_ENV.items():
    os.environ.setdefault(name, value)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from wsgi_bench import BARE_PATH  # noqa: E402

MSK = ZoneInfo("Europe/Moscow")
PASSWORD = "bench-pages-password-2286"


def fill_and_refresh(args):
    import stats_bench

    from stats.services import refresh_rollups

    print(f"filling {args.messages:,} messages …", flush=True)
    counts, seconds = stats_bench.fill(args)
    print(f"filled {counts} in {seconds:.0f} s", flush=True)
    started = time.perf_counter()
    written = refresh_rollups(now=args.now)
    print(f"refresh_rollups(): {written:,} daily rows in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- staff accounts ----------------------------------------------------------------------------------


def staff_account(email, role, organization, categories):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User
    from directory.models import Official

    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": f"Бенчмарк ({role})"})
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    official, _ = Official.objects.update_or_create(
        user=user, defaults={"organization": organization, "position": "нагрузочный тест", "role": role}
    )
    official.categories.set(categories)
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def log_in(email, secret):
    """The login of a person: the password, then the authenticator's current code. Returns the client."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, (email, response.status_code)
    if response["Location"].startswith("/accounts/2fa/authenticate"):
        code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
        response = client.post(response["Location"], {"code": code})
        assert response.status_code == 302, (email, "code", response.status_code)
    assert client.get("/office/").status_code == 200, email
    return client


def staff_clients():
    from directory.models import Category
    from messages.models import AWAITING_ANSWER_STATES, Message

    potholes = Category.objects.get(key="potholes")
    executing = (
        Message.objects.filter(category=potholes, state__in=AWAITING_ANSWER_STATES)
        .values_list("executing_organization", flat=True)
        .order_by("executing_organization")
        .distinct()
    )
    organization_id = next(iter(executing), None) or potholes.responsible_organization_id
    from directory.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    accounts = {
        "moderator": staff_account("bench-moderator@zarechny.local", "moderator", organization, [potholes]),
        "executor": staff_account("bench-executor@zarechny.local", "executor", organization, [potholes]),
        "supervisor": staff_account("bench-supervisor@zarechny.local", "supervisor", organization, []),
    }
    return {role: log_in(user.email, secret) for role, (user, secret) in accounts.items()}


# --- the pages ---------------------------------------------------------------------------------------


def pages(now):
    """(label, role or None, path) for every page of the issue's table, and the goal ratio."""
    from directory.models import Category
    from messages.models import Message, State

    potholes = Category.objects.get(key="potholes")
    public = (
        Message.objects.filter(state=State.CLOSED, category=potholes, support_count__gt=0)
        .order_by("-id")
        .values_list("number", flat=True)
        .first()
    )
    submitted = (
        Message.objects.filter(state=State.SUBMITTED, category=potholes)
        .order_by("registration_due", "id")
        .values_list("number", flat=True)
        .first()
    )
    year = f"period=year&on={date(now.year - 1, 6, 1)}"
    month = f"period=month&on={date(now.year - 1, 6, 1)}"
    return [
        ("/healthz (whole middleware stack)", None, "/healthz", None),
        ("bare Django view (no middleware)", None, BARE_PATH, None),
        ("home", None, "/", 0.30),
        ("public list, first page", None, "/messages/", 0.30),
        ("public list, page 500", None, "/messages/?page=500", 0.30),
        ("list, one category", None, f"/messages/?category={potholes.key}", 0.30),
        ("list, most supported", None, "/messages/?sort=supported", 0.30),
        (
            "list, search, common word",
            None,
            "/messages/?q=%D1%81%D0%BE%D0%BE%D0%B1%D1%89%D0%B5%D0%BD%D0%B8%D0%B5",
            0.20,
        ),
        ("list, search, rare word", None, "/messages/?q=%D0%B7%D0%B5%D0%B1%D1%80%D0%B0", 0.20),
        ("message page", None, f"/m/{public}/", 0.40),
        ("/stats/ year", None, f"/stats/?{year}", 0.20),
        ("staff statistics, year", "supervisor", f"/office/stats/?{year}", 0.10),
        (
            "drill-down, month and category",
            "supervisor",
            f"/office/stats/messages/?{month}&metric=received&group=category:{potholes.pk}",
            0.10,
        ),
        ("office home (moderator)", "moderator", "/office/", 0.15),
        ("office home (supervisor)", "supervisor", "/office/", 0.15),
        ("moderator queue", "moderator", "/office/moderation/", 0.15),
        ("executor queue", "executor", "/office/answers/", 0.15),
        ("supervisor queue", "supervisor", "/office/moderation/", 0.15),
        ("review page", "moderator", f"/office/m/{submitted}/", 0.15),
    ]


def count_queries(client, path):
    client.get(path)  # warm: templates, the calendar cache, the connection
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    wall = time.perf_counter() - started
    sql = sum(float(q["time"]) for q in queries.captured_queries)
    return response.status_code, len(queries), sql, wall


# --- gunicorn and wrk --------------------------------------------------------------------------------


def start_gunicorn(args):
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": os.environ["DATABASE_URL"]}
    # REDIS_URL, when set, is passed on as in production (the shared cache); say so in the results.
    env.pop("TESTING", None)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "wsgi_bench:application",
        "--chdir",
        str(ROOT / "bench"),
        "--pythonpath",
        str(ROOT),
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    try:  # another benchmark's server on the port would answer /healthz and every page in our place
        urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2)
    except OSError:
        pass
    else:
        sys.exit(f"port {args.port} is already served: choose another with --port")
    process = subprocess.Popen(command, env=env, start_new_session=True)
    for _ in range(100):
        if process.poll() is not None:
            sys.exit("gunicorn exited (is the port taken?)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    sys.exit("gunicorn did not start")


def drain(args):
    """Wait until the workers have finished what wrk left queued (a sync worker does not notice that the
    client went away), so each page starts on an idle server: /healthz answers within 50 ms."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=30):
                pass
        except OSError:
            continue
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.5)


def wrk(args, path, cookie):
    drain(args)
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        f"--timeout={args.timeout}s",
        "--latency",
    ]
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{args.port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    failed = (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0)
    return rate, latency.get("50", "?"), latency.get("99", "?"), failed


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--seed", type=int, default=2286)
    parser.add_argument(
        "--now",
        type=lambda s: datetime.fromisoformat(s).replace(tzinfo=MSK),
        default=datetime(2026, 11, 28, 18, 0, tzinfo=MSK),
        help="the moment the generated history ends (as in bench/stats_bench.py)",
    )
    parser.add_argument("--skip-fill", action="store_true", help="reuse the messages already in the database")
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per page")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--timeout", type=int, default=20, help="wrk's per-request timeout, seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8714)
    parser.add_argument(
        "--only",
        default="",
        help="only pages whose label contains one of these comma-separated texts (and /healthz)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not shutil.which("wrk"):
        sys.exit("This benchmark needs wrk: apt-get install wrk")

    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    call_command("bootstrap", verbosity=0)
    if not args.skip_fill:
        fill_and_refresh(args)
    call_command("collectstatic", verbosity=0, interactive=False)
    from messages.models import Message

    print(f"messages: {Message.objects.count():,}", flush=True)

    clients = staff_clients()
    guest = Client()
    table = []
    for label, role, path, goal in pages(args.now):
        if args.only and not any(part in label for part in args.only.split(",")) and path != "/healthz":
            continue
        if path == BARE_PATH:  # only the bench WSGI module serves it; no database anyway
            table.append([label, role, path, goal, 0, 0.0, 0.0])
            continue
        status, queries, sql, wall = count_queries(clients[role] if role else guest, path)
        assert status == 200, (label, path, status)
        table.append([label, role, path, goal, queries, sql, wall])

    server = start_gunicorn(args)
    try:
        load = os.getloadavg()
        print(f"load average before wrk: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        for row in table:
            label, role, path = row[:3]
            cookie = clients[role].cookies["sessionid"].value if role else ""
            row += wrk(args, path, cookie)
            print(f"  {label}: {row[7]:,.1f} req/s", flush=True)
        load = os.getloadavg()
        print(f"load average after wrk: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    floor = table[0][7]
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn {args.workers} sync workers, "
        f"DEBUG=0, {Message.objects.count():,} messages, "
        f"cache: {'Redis' if os.environ.get('REDIS_URL') else 'database (no REDIS_URL)'}\n"
    )
    print(
        "| page | req/s | ratio to /healthz | goal | p50 / p99 | failed | queries | one request (SQL / wall) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, _role, _path, goal, queries, sql, wall, rate, p50, p99, errors in table:
        ratio = rate / floor if floor else 0
        mark = "" if goal is None else (f"≥ {goal:.2f} ✓" if ratio >= goal else f"≥ {goal:.2f} ✗")
        print(
            f"| {label} | {rate:,.1f} | {ratio:.3f} | {mark} | {p50} / {p99} | {errors} | {queries} | "
            f"{sql * 1000:.0f} / {wall * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
