"""Scale-out (issue 17.1): two gunicorn nodes and two `qcluster` workers on one PostgreSQL and one Redis.

Everything goes over HTTP, as in production behind a load balancer: citizens (logged in with a password),
staff (password plus a real TOTP code: STAFF_REQUIRE_MFA is on in the nodes) and guests, each request to
either node at random, sessions shared by the two nodes through the database. E-mails go by SMTP to a
local server (aiosmtpd) that records every one it accepts.

Round 1: the whole mix on two healthy nodes and workers. Round 2: the same mix again, and in the middle
one node and one worker are killed with SIGKILL (process group: master and its workers, like a machine
losing power). A request that finds the dead node fails at the client and is sent again to the other
node — the form's idempotency (client_token), the state machine and the unique supports make the repeat
harmless. After each round: no 5xx; every e-mail row sent exactly once (the one a dying worker was in the
middle of may be failed as interrupted, never sent twice); support counts exact; each schedule ran at
most once per period; every task a node enqueued was run exactly once (or, in round 2, was in the hands
of the killed worker). The figures are printed (`pytest -s`) for the notes.

Runs with PostgreSQL (DATABASE_URL) and SCALEOUT_REDIS_URL (a Redis database it may use; .ci/run sets
it in the PostgreSQL pass); without them it is skipped with the reason (on PostgreSQL with CI set, a
missing Redis fails instead). About three minutes on a loaded two-core machine.
"""

import json
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import image_bytes
from tests.messages.test_tasks import Mailbox

BASE_DIR = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "")
PASSWORD = "scale-out-pass-2026"
CITIZENS = 6
PER_ROUND = 110  # submissions with a photo per round (two rounds)
THREADS = 8
METRICS_TOKEN = "scale-out-metrics"


def _redis_reachable():
    if not REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _skip_reason():
    if connection.vendor != "postgresql":
        return "the scale-out test needs PostgreSQL (DATABASE_URL): several processes share the database"
    if not _redis_reachable():
        return "the scale-out test needs Redis: set SCALEOUT_REDIS_URL=redis://host:6379/N (a database it may use)"
    return ""


REASON = _skip_reason()
# CI's PostgreSQL pass must run it (.ci/run gives it a Redis database): there a missing Redis is a failure.
if REASON and os.environ.get("CI") and connection.vendor == "postgresql":
    pytestmark = [pytest.mark.scaleout, pytest.mark.postgres]

    def test_scaleout_environment():
        pytest.fail(f"CI must run the scale-out test: {REASON}")

else:
    pytestmark = [
        pytest.mark.scaleout,
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(bool(REASON), reason=REASON or "-"),
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Proc:
    """A subprocess in its own process group (so SIGKILL takes the master and its children), logging to a file."""

    def __init__(self, name, argv, env, log_dir):
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._file = self.log.open("wb")
        self.process = subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=self._file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.kill()
        self._file.close()

    def json_lines(self):
        lines = []
        for raw in self.log.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    continue
        return lines

    def tail(self):
        return self.log.read_text(errors="replace")[-3000:]


class Cluster:
    """Two gunicorn nodes, two qcluster workers, one SMTP server, one environment."""

    def __init__(self, tmp_path, smtp_port):
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        self.env.pop("SCALEOUT_REDIS_URL", None)
        self.env.update(
            {
                "DATABASE_URL": database_url(),
                "REDIS_URL": REDIS_URL,
                "Q_NAME": f"scaleout-{uuid.uuid4().hex[:8]}",  # its own queue in the shared Redis database
                "DEBUG": "1",  # the development SECRET_KEY; everything else as in production:
                "STAFF_REQUIRE_MFA": "1",  # staff log in with a TOTP code
                "Q_SYNC": "0",
                "Q_WORKERS": "2",
                "Q_TIMEOUT": "10",
                "Q_RETRY": "20",
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "EMAIL_TIMEOUT": "3",
                "OUTBOX_LEASE_SECONDS": "12",
                "OUTBOX_BACKOFF_SECONDS": "1",
                "SITE_URL": "https://zarechny.example",
                "VAR_DIR": str(tmp_path / "var"),  # shared by the nodes, like the photo store of a city
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",
                "LOG_LEVELS": "messages.outbox=DEBUG,zarechny.tasks=DEBUG",
                # The load comes from a handful of accounts and one address: the limits are not under test.
                "RATE_LIMIT_SUBMIT": "",
                "RATE_LIMIT_SUPPORT": "",
                "RATE_LIMIT_GUEST_SUPPORT": "",
                "CONN_MAX_AGE": "0",
                "METRICS_TOKEN": METRICS_TOKEN,
            }
        )
        self.log_dir = tmp_path / "logs"
        self.log_dir.mkdir()
        self.ports = [free_port(), free_port()]
        self.nodes = [self._node(i, port) for i, port in enumerate(self.ports)]
        self.workers = [self._worker(i) for i in range(2)]
        self.alive = [True, True]

    def _node(self, i, port):
        argv = [
            str(BASE_DIR / ".venv/bin/gunicorn"),
            "zarechny.wsgi",
            "-c",
            "zarechny/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
        ]
        if not Path(argv[0]).exists():
            argv[0:1] = [sys.executable, "-m", "gunicorn"]
        return Proc(f"web{i}", argv, self.env, self.log_dir)

    def _worker(self, i):
        return Proc(f"worker{i}", [sys.executable, "manage.py", "qcluster"], self.env, self.log_dir)

    def url(self, i):
        return f"http://127.0.0.1:{self.ports[i]}"

    def wait_ready(self, httpx):
        deadline = time.monotonic() + 90
        for i in range(2):
            while True:
                try:
                    if httpx.get(self.url(i) + "/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or self.nodes[i].process.poll() is not None:
                    raise AssertionError(f"node {i} did not start:\n{self.nodes[i].tail()}")
                time.sleep(0.5)

    def stop(self):
        for proc in [*self.nodes, *self.workers]:
            proc.stop()


class Driver:
    """Sends requests to a random live node; a request the dead node does not answer goes to the other."""

    def __init__(self, cluster, httpx):
        self.cluster = cluster
        self.httpx = httpx
        self.statuses = Counter()
        self.retried = 0
        self.requests = 0
        self.lock = threading.Lock()

    def client(self):
        return self.httpx.Client(timeout=60, follow_redirects=False)

    def send(self, client, method, path, **kwargs):
        nodes = [i for i in (0, 1) if self.cluster.alive[i]]
        random.shuffle(nodes)
        nodes += [i for i in (0, 1) if i not in nodes]
        last_error = None
        for attempt, node in enumerate(nodes * 2):
            headers = dict(kwargs.pop("headers", {}) or {})
            token = client.cookies.get("csrftoken")
            if method == "POST" and token:
                headers["X-CSRFToken"] = token
            try:
                response = client.request(method, self.cluster.url(node) + path, headers=headers, **kwargs)
            except self.httpx.TransportError as exc:  # the node is gone: the client tries the other one
                last_error = exc
                with self.lock:
                    self.retried += 1
                if "files" in kwargs:  # a consumed upload is sent again from its bytes
                    kwargs["files"] = {k: (n, c, t) for k, (n, c, t) in kwargs["files"].items()}
                continue
            with self.lock:
                self.requests += 1 + attempt
                self.statuses[response.status_code] += 1
            return response
        raise AssertionError(f"{method} {path}: no node answered ({last_error})")

    def login(self, email, secret=None):
        client = self.client()
        self.send(client, "GET", "/accounts/login/")
        response = self.send(client, "POST", "/accounts/login/", data={"login": email, "password": PASSWORD})
        assert response.status_code == 302, (email, response.status_code, response.text[:500])
        if secret is not None:
            assert response.headers["Location"] == "/accounts/2fa/authenticate/", response.headers["Location"]
            from allauth.mfa.totp.internal.auth import (
                format_hotp_value,
                hotp_value,
                yield_hotp_counters_from_time,
            )

            code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
            response = self.send(client, "POST", "/accounts/2fa/authenticate/", data={"code": code})
            assert response.status_code == 302, (email, response.text[:500])
        return client


def make_people(world):
    """Verified citizens with a password the nodes can check, and two staff with TOTP authenticators."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import generate_totp_secret
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.factories import OfficialFactory, UserFactory

    # The test run hashes with MD5, which the nodes do not accept; a cheap PBKDF2 hash they do.
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, "scaleoutsalt", iterations=1000)
    citizens = []
    for i in range(CITIZENS):
        user = UserFactory(email=f"scale-citizen{i}@example.ru", full_name=f"Житель {i}")
        citizens.append(user)
    staff = {}
    for role in ("moderator", "executor"):
        user = UserFactory(email=f"scale-{role}@adm.ru", full_name=f"Сотрудник {role}")
        OfficialFactory(
            user=user, organization=world["administration"], role=role, categories=[world["potholes"]]
        )
        secret = generate_totp_secret()
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
        staff[role] = (user, secret)
    from accounts.models import User

    everyone = [*citizens, *(user for user, _ in staff.values())]
    User.objects.filter(pk__in=[u.pk for u in everyone]).update(password=hashed)
    for user in everyone:
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    return citizens, staff


def run_round(driver, sessions, staff_sessions, category_pk, count, label, kill_at=None, on_kill=None):
    """`count` message lives, THREADS at a time: submit (with a photo) → register → supports → answer →
    rating, each step on a random node. Returns what the database must now show."""
    photo = image_bytes("JPEG", size=(320, 240))
    expected_supports = {}
    numbers = []
    done = Counter()
    lock = threading.Lock()
    started = [0]

    def life(i):
        with lock:
            started[0] += 1
            if kill_at is not None and started[0] == kill_at:
                on_kill()
        author_index = i % len(sessions)
        author = sessions[author_index]
        data = {
            "category": "potholes",
            "text": f"{label}: яма номер {i} у дома {i % 40 + 1}",
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "address": f"ул. Ленина, {i % 40 + 1}",
            "latitude": "",
            "longitude": "",
            "client_token": str(uuid.uuid4()),
        }
        response = driver.send(
            author, "POST", "/submit/", data=data, files={"photos": ("yama.jpg", photo, "image/jpeg")}
        )
        assert response.status_code == 302, response.text[:300]
        match = re.match(r"^/submit/done/([^/]+)/$", response.headers["Location"])
        assert match, response.headers["Location"]
        number = match.group(1)
        response = driver.send(
            staff_sessions["moderator"],
            "POST",
            f"/office/m/{number}/register/",
            data={"executing_organization": "", "category": str(category_pk)},
        )
        assert response.status_code in (302, 200), response.status_code
        supporters = set()
        for j in (1, 2):  # two other citizens; the first of them twice (the second changes nothing)
            who = (author_index + j) % len(sessions)
            driver.send(sessions[who], "POST", f"/m/{number}/support/")
            supporters.add(who)
        driver.send(sessions[(author_index + 1) % len(sessions)], "POST", f"/m/{number}/support/")
        if i % 2 == 0:  # a guest: the page (for the CSRF cookie), then the support
            guest = driver.client()
            assert driver.send(guest, "GET", f"/m/{number}/").status_code == 200
            driver.send(guest, "POST", f"/m/{number}/support/")
            guest.close()
            supporters.add(f"guest-{i}")
        if i % 3 != 2:
            response = driver.send(
                staff_sessions["executor"],
                "POST",
                f"/office/m/{number}/answer/",
                data={"kind": "solved", "text": f"Яма {i} заделана."},
            )
            assert response.status_code in (302, 200), response.status_code
            if i % 3 == 0:
                driver.send(author, "POST", f"/m/{number}/rate/", data={"positive": "yes"})
                with lock:
                    done["rated"] += 1
            with lock:
                done["answered"] += 1
        with lock:
            expected_supports[number] = len(supporters)
            numbers.append(number)

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(life, i) for i in range(count)]:
            future.result()
    return numbers, expected_supports, done


def wait_settled(cluster, timeout=90):
    from accounts.models import OutboundEmail
    from messages.models import Notification

    unsettled = ["pending", "sending"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not (
            Notification.objects.filter(email_status__in=unsettled).exists()
            or OutboundEmail.objects.filter(email_status__in=unsettled).exists()
        ):
            return
        time.sleep(1)
    worker_logs = "\n".join(w.tail() for w in cluster.workers)
    raise AssertionError(f"the outbox did not settle in {timeout} s\n{worker_logs}")


def check_emails(mailbox, allow_interrupted):
    """Every sent row arrived exactly once; no e-mail without a row; an interrupted row at most once."""
    from messages.models import Notification

    received = Counter(m["Message-ID"] for m in mailbox.received())
    doubled = {mid: n for mid, n in received.items() if n > 1}
    assert not doubled, f"e-mails delivered more than once: {doubled}"
    rows = Notification.objects.exclude(email_status="skipped")
    by_id = {f"<notification-{row.pk}@zarechny.example>": row for row in rows}
    unknown = set(received) - set(by_id)
    assert not unknown, f"e-mails without an outbox row: {sorted(unknown)[:5]}"
    sent = [mid for mid, row in by_id.items() if row.email_status == "sent"]
    missing = [mid for mid in sent if mid not in received]
    assert not missing, f"rows marked sent that never arrived: {missing[:5]}"
    failed = [row for row in by_id.values() if row.email_status == "failed"]
    assert len(failed) <= allow_interrupted, [(row.pk, row.last_error) for row in failed]
    # Per recipient, message and kind: as many e-mails as sent rows.
    per_key_rows = Counter(
        (row.recipient.email, row.message_id, row.kind) for row in rows if row.email_status == "sent"
    )
    per_key_mail = Counter()
    for m in mailbox.received():
        row = by_id[m["Message-ID"]]
        assert row.recipient.email in m["To"]
        if row.email_status == "sent":
            per_key_mail[(row.recipient.email, row.message_id, row.kind)] += 1
    assert per_key_rows == per_key_mail
    return {
        "rows": len(by_id),
        "sent": len(sent),
        "received": sum(received.values()),
        "interrupted": len(failed),
    }


def check_supports(expected):
    from messages.models import Message, Support

    for number, count in expected.items():
        message = Message.objects.get(number=number)
        assert message.support_count == count == Support.objects.filter(message=message).count(), number


def check_schedules(anchors):
    """Each schedule ran at most once per period: its runs fall into distinct periods counted from the
    schedule's first due time (the scheduler of either cluster turns a due schedule into one task, under
    the schedule row's lock, and moves it to the next period)."""
    from django_q.models import Schedule, Task

    report = {}
    for schedule in Schedule.objects.all():
        if schedule.schedule_type == Schedule.MINUTES:
            period = schedule.minutes * 60
        else:
            period = {Schedule.HOURLY: 3600, Schedule.DAILY: 86400}[schedule.schedule_type]
        anchor = anchors[schedule.func]
        runs = Task.objects.filter(group=schedule.name, started__gte=anchor).values_list("started", flat=True)
        slots = [int((started - anchor).total_seconds() // period) for started in runs]
        doubled = [slot for slot, n in Counter(slots).items() if n > 1]
        assert not doubled, (schedule.func, sorted(runs))
        report[schedule.func.rsplit(".", 1)[-1]] = len(slots)
    # The schedules are alive: the outbox sweep ran. How many of its periods a round spans depends on the
    # machine's speed (a loaded 2-core machine saw one), so "at most once a period" above is the real check.
    assert report.get("deliver_outbox", 0) >= 1, report
    return report


def check_tasks(cluster, lost_allowed):
    """Every wake a node enqueued ran exactly once (logs of the nodes and the workers); the scheduled
    tasks all succeeded (django-q2's result rows)."""
    from django_q.models import Task

    enqueued = set()
    for node in cluster.nodes:
        enqueued |= {
            line["task_id"]
            for line in node.json_lines()
            if line.get("logger") == "messages.outbox" and "task_id" in line
        }
    finished = Counter()
    failures = 0
    for worker in cluster.workers:
        for line in worker.json_lines():
            if line.get("logger") == "zarechny.tasks" and "task_id" in line:
                finished[line["task_id"]] += 1
                failures += not line["success"]
    twice = [tid for tid, n in finished.items() if n > 1]
    assert not twice, f"tasks run twice: {twice[:5]}"
    lost = enqueued - set(finished)
    assert len(lost) <= lost_allowed, f"{len(lost)} of {len(enqueued)} enqueued tasks never ran"
    assert not Task.objects.filter(success=False).exists(), list(
        Task.objects.filter(success=False).values("func", "result")
    )
    return {
        "enqueued_wakes": len(enqueued),
        "tasks_run": len(finished),
        "lost_with_killed_worker": len(lost),
        "task_failures": failures,
    }


def check_request_ids(cluster):
    """The worker's lines for a run carry the id of the request that woke it."""
    request_ids = set()
    for node in cluster.nodes:
        request_ids |= {
            line["request_id"] for line in node.json_lines() if line.get("logger") == "zarechny.request"
        }
    runs = [
        line for w in cluster.workers for line in w.json_lines() if line.get("logger") == "messages.delivery"
    ]
    tagged = [line for line in runs if line.get("request_id") in request_ids]
    assert tagged, "no worker line carries a request id"
    return len(tagged)


def check_metrics(cluster, httpx, node):
    """/metrics of a node: the latency histogram adds up the node's gunicorn processes (multiprocess
    mode) — as many observations as request lines in its log —, and the database gauges show the
    settled state."""
    logged = sum(1 for line in cluster.nodes[node].json_lines() if line.get("logger") == "zarechny.request")
    assert httpx.get(cluster.url(node) + "/metrics", timeout=30).status_code == 404  # no token
    response = httpx.get(
        cluster.url(node) + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    )
    assert response.status_code == 200
    values = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    observed = sum(
        v for k, v in values.items() if k.startswith("zarechny_http_request_duration_seconds_count{")
    )
    assert observed == logged + 1, (observed, logged)  # + the refused scrape just before
    pids = {
        line.get("process")
        for line in cluster.nodes[node].json_lines()
        if line.get("logger") == "zarechny.request"
    }
    for outbox in ("notifications", "account_emails"):
        assert values[f'zarechny_outbox_pending{{outbox="{outbox}"}}'] == 0
    assert values['zarechny_messages_waiting{stage="registration"}'] == 0
    beat = values['zarechny_worker_last_success_timestamp_seconds{schedule="messages.tasks.deliver_outbox"}']
    assert time.time() - beat < 120
    assert len(pids - {None}) == 2  # both gunicorn workers answered, and the histogram holds both
    return {"observed_requests": int(observed), "answering_processes": len(pids - {None})}


def check_no_personal_data(cluster, emails):
    for proc in [*cluster.nodes, *cluster.workers]:
        text = proc.log.read_text(errors="replace")
        for address in emails:
            assert address not in text, (proc.name, address)
        assert "яма номер" not in text, proc.name


def test_two_nodes_two_workers_lose_nothing_and_double_nothing(tmp_path, world):
    import httpx
    from django_q.models import Schedule

    from messages.tasks import ensure_schedules
    from stats.tasks import ensure_schedules as stats_schedules

    for noisy in ("httpx", "mail.log"):  # a line per request and per SMTP command otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    t0 = time.monotonic()
    citizens, staff = make_people(world)
    ensure_schedules()
    stats_schedules()
    schedule_count = Schedule.objects.count()
    anchors = dict(Schedule.objects.values_list("func", "next_run"))
    mailbox = Mailbox().start()
    cluster = Cluster(tmp_path, mailbox.port)
    figures = {}
    try:
        cluster.wait_ready(httpx)
        driver = Driver(cluster, httpx)
        sessions = [driver.login(user.email) for user in citizens]
        staff_sessions = {role: driver.login(user.email, secret) for role, (user, secret) in staff.items()}

        # Round 1: everything healthy.
        numbers1, supports1, done1 = run_round(
            driver, sessions, staff_sessions, world["potholes"].pk, PER_ROUND, "Круг 1"
        )
        wait_settled(cluster)
        time.sleep(2)  # a duplicate would arrive now
        assert not [s for s in driver.statuses if s >= 500], driver.statuses
        mail1 = check_emails(mailbox, allow_interrupted=0)
        check_supports(supports1)
        tasks1 = check_tasks(cluster, lost_allowed=0)
        metrics1 = check_metrics(cluster, httpx, node=0)
        figures["round 1"] = {
            "seconds": round(time.monotonic() - t0),
            "requests": driver.requests,
            "messages": len(numbers1),
            **done1,
            **mail1,
            **tasks1,
            "metrics_node0": metrics1,
        }

        # Round 2: node 1 and worker 1 die (SIGKILL) a third of the way in; clients retry on node 0.
        t1 = time.monotonic()
        requests_before = driver.requests

        def kill():
            cluster.alive[1] = False
            cluster.nodes[1].kill()
            cluster.workers[1].kill()
            with pytest.raises(httpx.ConnectError):  # the dead node: the client sees it fail
                httpx.get(cluster.url(1) + "/healthz", timeout=5)

        numbers2, supports2, done2 = run_round(
            driver,
            sessions,
            staff_sessions,
            world["potholes"].pk,
            PER_ROUND,
            "Круг 2",
            kill_at=PER_ROUND // 3,
            on_kill=kill,
        )
        wait_settled(cluster, timeout=120)
        time.sleep(2)
        assert not [s for s in driver.statuses if s >= 500], driver.statuses
        from messages.models import Message

        # One message per submission: a repeated POST (client_token) made no second message.
        assert Message.objects.count() == len(set(numbers1 + numbers2)) == 2 * PER_ROUND
        mail2 = check_emails(mailbox, allow_interrupted=2)  # Q_WORKERS of the killed worker
        check_supports({**supports1, **supports2})
        # Tasks the killed cluster had taken from Redis (its workers and its prefetch) die with it; the
        # outbox rows they would have sent go out with the next run.
        tasks2 = check_tasks(cluster, lost_allowed=6)
        schedules = check_schedules(anchors)
        assert Schedule.objects.count() == schedule_count
        tagged = check_request_ids(cluster)
        check_no_personal_data(cluster, [u.email for u in citizens] + [u.email for u, _ in staff.values()])
        figures["round 2 (node 1 and worker 1 killed)"] = {
            "seconds": round(time.monotonic() - t1),
            "requests": driver.requests - requests_before,
            "retried_on_the_other_node": driver.retried,
            "messages": len(numbers2),
            **done2,
            **mail2,
            **tasks2,
        }
        figures["total"] = {
            "seconds": round(time.monotonic() - t0),
            "requests": driver.requests,
            "statuses": dict(sorted(driver.statuses.items())),
            "schedule_runs": schedules,
            "worker_lines_with_a_request_id": tagged,
        }
    finally:
        cluster.stop()
        mailbox.stop()
    print("\nscale-out figures:")
    for name, values in figures.items():
        print(f"  {name}: {values}")
