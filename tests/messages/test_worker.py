"""The real worker: a `manage.py qcluster` process against PostgreSQL, mailing to a local SMTP server.

The test process commits data (transactional_db) and enqueues delivery runs exactly as the web process
does (the services' on_commit wake, ORM broker in the test database); the worker subprocess, started with
Q_SYNC=0 and DATABASE_URL pointing at the test database, does the sending.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_q.conf import Conf

from messages import services
from messages.delivery import INTERRUPTED_TEXT
from messages.models import Notification
from messages.outbox import enqueue_outbox_delivery
from tests.factories import submit
from tests.messages.test_tasks import Mailbox

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the real-worker tests need PostgreSQL (DATABASE_URL): the worker is a separate process",
    ),
]

BASE_DIR = Path(__file__).resolve().parents[2]
Status = Notification.EmailStatus
UNSETTLED = [Status.PENDING, Status.SENDING]  # "sending" was a pending row with a mark before issue 10.3
WORKERS = 2


def _database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`manage.py qcluster` in its own process group, so it can be killed like a crashed machine."""

    def __init__(self, tmp_path, smtp_port):
        self.log = tmp_path / f"qcluster-{time.monotonic_ns()}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        env.update(
            {
                "DATABASE_URL": _database_url(),
                "DEBUG": "1",  # off unless set, and then a SECRET_KEY is required
                "Q_SYNC": "0",
                "Q_WORKERS": str(WORKERS),
                "Q_TIMEOUT": "10",
                "Q_RETRY": "20",
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "EMAIL_TIMEOUT": "3",
                "OUTBOX_LEASE_SECONDS": "12",
                "OUTBOX_BACKOFF_SECONDS": "1",
                "OUTBOX_BATCH_SIZE": "5",
                "SITE_URL": "https://zarechny.example",
                "VAR_DIR": str(tmp_path / "var"),
                "LOG_LEVEL": "INFO",
            }
        )
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        """SIGKILL to the whole group: no clean shutdown, like a power cut."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log_file.close()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()

    def output(self):
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def broker_not_sync(monkeypatch):
    # This process enqueues into the ORM broker like the web process; the worker process runs the tasks.
    monkeypatch.setattr(Conf, "SYNC", False)


@pytest.fixture
def start_worker(tmp_path, broker_not_sync):
    workers = []

    def start(smtp_port):
        worker = Worker(tmp_path, smtp_port)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(condition, *, timeout, worker, poke=False, what=""):
    """Poll `condition` until true; with `poke`, enqueue a delivery run each second (as new commits do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if poke:
            enqueue_outbox_delivery()
        time.sleep(0.5 if not poke else 1.0)
    raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{worker.output()}")


def _statuses():
    return dict(Notification.objects.values_list("pk", "email_status"))


def test_register_and_answer_reach_the_authors_mailbox(start_worker, citizen, category, moderator, executor):
    mailbox = Mailbox().start()
    try:
        worker = start_worker(mailbox.port)
        message = submit(citizen, category)
        services.message_register(message=message, actor=moderator)
        services.message_answer(message=message, actor=executor, kind="solved", text="Яма заделана.")
        wait_for(
            lambda: len(mailbox.received(to=citizen.email)) == 3, timeout=60, worker=worker, what="3 emails"
        )
        subjects = sorted(m["Subject"].strip() for m in mailbox.received(to=citizen.email))
        assert subjects == sorted(
            [
                f"Сообщение № {message.number} получено",
                f"Сообщение № {message.number} зарегистрировано и опубликовано",
                f"Получен ответ на сообщение № {message.number}",
            ]
        )
        answer_mail = next(m for m in mailbox.received() if "Получен ответ" in m["Subject"])
        assert (
            f"https://zarechny.example/m/{message.number}/#rate"
            in answer_mail.get_body(("plain",)).get_content()
        )
        wait_for(
            lambda: not Notification.objects.filter(email_status__in=UNSETTLED).exists(),
            timeout=20,
            worker=worker,
            what="no pending rows",
        )
        citizen_rows = Notification.objects.filter(recipient=citizen)
        assert set(citizen_rows.values_list("email_status", flat=True)) == {Status.SENT}
        # The executor's `assigned` notice is in-app only (digest), never mailed one by one.
        assert Notification.objects.get(recipient=executor).email_status == Status.SKIPPED
        time.sleep(2)  # any duplicate would arrive now
        assert len(mailbox.message_ids()) == len(set(mailbox.message_ids())) == 3
    finally:
        mailbox.stop()


def test_smtp_down_then_refusing_then_back_every_email_arrives_once(
    start_worker, citizen, other_citizen, category
):
    mailbox = Mailbox()  # not started: the port refuses connections
    try:
        worker = start_worker(mailbox.port)
        for author in (citizen, other_citizen, citizen, other_citizen):
            submit(author, category)
        settled = Notification.objects.exclude(email_status=Status.SENDING)  # not mid-attempt
        wait_for(
            lambda: settled.exclude(last_error="").exists(),
            timeout=60,
            worker=worker,
            what="a connection error recorded",
        )
        assert "Connection refused" in settled.exclude(last_error="").first().last_error
        assert set(_statuses().values()) == {Status.PENDING}
        # An outage costs no attempt.
        assert set(settled.values_list("attempts", flat=True)) == {0}

        # The server is back but answers 451 to every email: attempts count, rows stay pending.
        mailbox.mode = "tempfail"
        mailbox.start()
        wait_for(
            lambda: Notification.objects.filter(attempts__gte=1, last_error__contains="451").count() == 4,
            timeout=60,
            worker=worker,
            poke=True,
            what="451 recorded on every row",
        )
        # (`sending` is a run caught in the middle of its next 451.)
        assert set(_statuses().values()) <= {Status.PENDING, Status.SENDING}
        assert mailbox.received() == []

        mailbox.mode = "ok"
        wait_for(
            lambda: set(_statuses().values()) == {Status.SENT},
            timeout=60,
            worker=worker,
            poke=True,
            what="every row sent",
        )
        for _ in range(3):  # more runs find nothing to send
            enqueue_outbox_delivery()
        time.sleep(3)
        ids = mailbox.message_ids()
        assert sorted(ids) == sorted(f"<notification-{pk}@zarechny.example>" for pk in _statuses())
        assert len(ids) == len(set(ids)) == 4
    finally:
        mailbox.stop()


def test_worker_killed_mid_run_loses_nothing_and_sends_nothing_twice(start_worker, citizen, category):
    mailbox = Mailbox(delay=0.3).start()  # slow server: the kill lands in the middle of a run
    try:
        total = 16
        for i in range(total):
            submit(citizen, category, text=f"Сообщение {i}")
        worker = start_worker(mailbox.port)
        wait_for(lambda: len(mailbox.received()) >= 3, timeout=60, worker=worker, what="the first emails")
        worker.kill()
        received_at_kill = len(mailbox.received())
        assert received_at_kill < total, "the run finished before the kill; the test proves nothing"

        mailbox.delay = 0
        restarted = start_worker(mailbox.port)
        wait_for(
            lambda: not Notification.objects.filter(email_status__in=UNSETTLED).exists(),
            timeout=90,
            worker=restarted,
            poke=True,
            what="every row settled",
        )
        time.sleep(2)
        ids = mailbox.message_ids()
        assert len(ids) == len(set(ids)), "an email was sent twice"
        sent = set(Notification.objects.filter(email_status=Status.SENT).values_list("pk", flat=True))
        failed = Notification.objects.filter(email_status=Status.FAILED)
        # Every row is sent, or — the one a dying worker process was in the middle of sending — marked
        # failed with the explanation, for an administrator to retry; nothing vanished.
        assert len(sent) + failed.count() == total
        assert failed.count() <= WORKERS
        print(
            f"received before the kill: {received_at_kill}, sent: {len(sent)}, interrupted: {failed.count()}"
        )
        assert set(failed.values_list("last_error", flat=True)) <= {INTERRUPTED_TEXT}
        for pk in sent:
            assert ids.count(f"<notification-{pk}@zarechny.example>") == 1
    finally:
        mailbox.stop()
