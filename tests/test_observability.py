"""Operations (issue 17.2–17.3): the Prometheus endpoint, the request log, request ids, no personal data."""

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundEmail
from messages import outbox
from messages.models import Message, Notification
from messages.tasks import deliver_outbox, ensure_schedules
from tests.factories import image_bytes, submit
from zarechny import metrics
from zarechny.logs import QuietTaskLines, RequestIdFilter, current_request_id, describe_error

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[1]
TOKEN = "s3cret-metrics-token"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return settings


def scrape(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return response.content.decode()


def sample(text, name, **labels):
    """The value of one sample of the exposition text."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{wanted} not in the metrics:\n{text}")


# --- metrics -------------------------------------------------------------------------------------------


def test_metrics_is_404_without_token_or_allowed_address(client, metrics_on):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404  # not a bearer header
    metrics_on.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404  # no token configured
    metrics_on.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 404  # the test client is 127.0.0.1


def test_metrics_from_an_allowed_address(client, metrics_on):
    metrics_on.METRICS_ALLOWED_IPS = ["192.0.2.7", "127.0.0.0/8"]
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_metrics_names_exist(client, metrics_on):
    ensure_schedules()
    client.get("/healthz")
    text = scrape(client)
    for name in metrics.METRIC_NAMES:
        assert f"# TYPE {name} " in text, name
    assert (
        'zarechny_http_request_duration_seconds_bucket{le="0.01",method="GET",status="2xx",view="healthz"}'
        in (text)
    )


def test_metric_values_on_a_small_scenario(client, metrics_on, citizen, category, moderator, executor):
    now = timezone.now()
    ensure_schedules()
    fresh = submit(citizen, category)  # waiting for registration, in time
    late = submit(citizen, category)
    Message.objects.filter(pk=late.pk).update(registration_due=now - timedelta(hours=1))  # overdue
    from messages import services

    on_time = services.message_register(message=submit(citizen, category), actor=moderator)
    overdue_answer = services.message_register(message=submit(citizen, category), actor=moderator)
    Message.objects.filter(pk=overdue_answer.pk).update(answer_due=now - timedelta(minutes=1))
    services.message_answer(message=on_time, actor=executor, kind="solved", text="Сделано.")
    from django_q.tasks import async_task

    async_task("messages.tasks.deliver_outbox")  # the test run's worker is synchronous (Q_SYNC)
    assert (
        fresh.pk
        and len(mail.outbox) == 7
        and not Notification.objects.filter(email_status="pending").exists()
    )
    # The outboxes: one notice back to pending (the oldest 10 minutes old), one failed; an account email.
    notices = list(Notification.objects.order_by("pk"))
    Notification.objects.filter(pk=notices[0].pk).update(
        email_status="pending",
        created_at=now - timedelta(minutes=10),
        next_attempt_at=now + timedelta(hours=1),
    )
    Notification.objects.filter(pk=notices[1].pk).update(email_status="failed")
    OutboundEmail.objects.create(
        to_email="x@example.ru", subject="s", body="b", created_at=now - timedelta(seconds=30)
    )

    text = scrape(client)
    assert sample(text, "zarechny_messages_waiting", stage="registration") == 2
    assert sample(text, "zarechny_messages_waiting", stage="answer") == 1
    assert sample(text, "zarechny_messages_overdue", stage="registration") == 1
    assert sample(text, "zarechny_messages_overdue", stage="answer") == 1
    assert sample(text, "zarechny_outbox_pending", outbox="notifications") == 1
    assert sample(text, "zarechny_outbox_failed", outbox="notifications") == 1
    assert 600 <= sample(text, "zarechny_outbox_oldest_pending_age_seconds", outbox="notifications") < 700
    assert sample(text, "zarechny_outbox_pending", outbox="account_emails") == 1
    assert 30 <= sample(text, "zarechny_outbox_oldest_pending_age_seconds", outbox="account_emails") < 100
    # The synchronous worker ran the outbox task: its heartbeat is recent; the digest never ran.
    beat = sample(
        text, "zarechny_worker_last_success_timestamp_seconds", schedule="messages.tasks.deliver_outbox"
    )
    assert abs(beat - now.timestamp()) < 60
    assert (
        sample(
            text,
            "zarechny_worker_last_success_timestamp_seconds",
            schedule="messages.tasks.send_staff_digest",
        )
        == 0
    )


def test_readyz_stays_minimal(client):
    response = client.get("/readyz")
    assert response.json() == {"status": "ok"}


# --- request log and request id ------------------------------------------------------------------------


def test_one_line_per_request_without_query_values(client, caplog):
    caplog.set_level(logging.INFO, logger="zarechny.request")
    response = client.get("/messages/", {"q": "Иванова яма", "page": "2"})
    lines = [r for r in caplog.records if r.name == "zarechny.request"]
    assert len(lines) == 1
    record = lines[0]
    assert record.path == "/messages/?page=…&q=…" and record.method == "GET"
    assert record.status == response.status_code and record.view == "portal:message_list"
    assert record.duration_ms >= 0
    assert "Иванова" not in caplog.text
    assert len(response["X-Request-ID"]) == 32


def test_incoming_request_id_is_trusted_only_behind_a_proxy(client, settings):
    settings.TRUST_REQUEST_ID = False
    assert client.get("/healthz", HTTP_X_REQUEST_ID="from-client")["X-Request-ID"] != "from-client"
    settings.TRUST_REQUEST_ID = True
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-42")["X-Request-ID"] == "proxy-42"
    # Anything that does not look like an id (spaces, new lines, very long) is replaced.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="a b\nc")["X-Request-ID"] != "a b\nc"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="x" * 100)["X-Request-ID"] != "x" * 100


def test_the_wake_carries_the_request_id_to_the_worker(monkeypatch, citizen, category):
    sent = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: sent.append(kwargs) or "t1")
    from zarechny.logs import request_context

    with request_context("req-123"):
        outbox.enqueue_outbox_delivery()
    assert sent[0]["request_id"] == "req-123"

    # In the worker, the task's lines carry it.
    seen = []

    class Spy(logging.Handler):
        def emit(self, record):
            seen.append((record.getMessage(), record.request_id))

    handler = Spy()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("messages.delivery")
    logger.addHandler(handler)
    try:
        submit(citizen, category)  # a notice for the run to send (its own synchronous wake is a no-op here)
        deliver_outbox(request_id="req-123")
    finally:
        logger.removeHandler(handler)
    assert (
        "outbox run: {'sent': 1, 'retry': 0, 'failed': 0, 'skipped': 0, 'interrupted': 0}",
        "req-123",
    ) in seen
    assert current_request_id() is None  # reset after the task


def test_smtp_errors_are_logged_without_addresses():
    import smtplib

    error = smtplib.SMTPRecipientsRefused({"alice@example.ru": (550, b"no such user alice@example.ru")})
    assert describe_error(error) == "SMTPRecipientsRefused (550)"
    assert describe_error(smtplib.SMTPDataError(451, b"try later")) == "SMTPDataError (451)"
    assert (
        describe_error(ConnectionRefusedError(111, "Connection refused"))
        == "ConnectionRefusedError (errno 111)"
    )


def test_worker_does_not_print_a_line_per_task():
    quiet = QuietTaskLines()

    def passes(message, level=logging.INFO):
        return quiet.filter(logging.LogRecord("django-q", level, __file__, 1, message, None, None))

    assert not passes("Enqueued [zarechny] 1")
    assert not passes("Process-1:1 processing outbox-wake 'messages.tasks.deliver_outbox' [outbox]")
    assert not passes("Process-1 выполняет outbox-wake «messages.tasks.deliver_outbox» [outbox]")
    assert not passes("Обработано «messages.tasks.deliver_outbox» (outbox-wake)")
    assert not passes("Processed 'messages.tasks.deliver_outbox' (outbox-wake)")
    assert not passes("Process-1 created task alpha-beta from schedule [Рассылка писем]")
    assert passes("Q Cluster zarechny starting.")
    assert passes("Failed 'messages.tasks.deliver_outbox' (outbox-wake)", logging.ERROR)


@pytest.mark.django_db(transaction=True)  # the services' wake of the worker runs at commit, in the request
def test_no_personal_data_in_the_logs_of_a_full_cycle(
    settings, client, citizen, category, moderator, executor
):
    """Submit → register → answer → e-mails, through the pages, with every log line captured at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    from pythonjsonlogger.json import JsonFormatter

    formatter = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(formatter["format"], rename_fields=formatter["rename_fields"]))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    text = "Провал асфальта у подъезда Кузнецовой, телефон 89001234567"
    answer_text = "Асфальт переложен бригадой Сидорова"
    try:
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(citizen)
        data = {
            "category": category.key,
            "text": text,
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "address": "ул. Ленина, 7",
            "latitude": "",
            "longitude": "",
            "client_token": str(uuid.uuid4()),
            "photos": [SimpleUploadedFile("a.jpg", image_bytes("JPEG"), content_type="image/jpeg")],
        }
        assert client.post("/submit/", data).status_code == 302
        message = Message.objects.get()
        client.get("/messages/", {"q": "Кузнецовой"})
        client.force_login(moderator)
        url = reverse("office:register", kwargs={"number": message.number})
        assert client.post(url, {"executing_organization": "", "category": category.pk}).status_code == 302
        client.force_login(executor)
        url = reverse("office:answer", kwargs={"number": message.number})
        assert client.post(url, {"kind": "solved", "text": answer_text}).status_code == 302
        message.refresh_from_db()
        assert message.state == "answered"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(mail.outbox) >= 3  # the citizen's three notices went out through the worker's task
    logs = stream.getvalue()
    lines = [json.loads(line) for line in logs.splitlines()]
    requests = [line for line in lines if line["logger"] == "zarechny.request"]
    assert len(requests) >= 4 and all(line["request_id"] != "-" for line in requests)
    # The worker's runs are in there, each with the id of the request whose commit woke it.
    runs = [line for line in lines if line["logger"] == "messages.delivery"]
    assert runs and {line["request_id"] for line in runs} <= {line["request_id"] for line in requests}
    for secret in (
        "alice@example.ru",
        "moderator@adm.ru",
        "executor@adm.ru",
        "Кузнецов",
        "89001234567",
        "Сидоров",
    ):
        assert secret not in logs and quote(secret) not in logs, secret
        # a cut, quoted query (a Cyrillic name in a URL); an ASCII prefix such as "8900" turns up by chance
        # in the random hexadecimal task and request ids
        assert quote(secret) == secret or quote(secret[:4]) not in logs, secret
    assert "Алиса" not in logs and "Иванова" not in logs


def test_json_lines_when_log_format_is_json(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        {"LOG_FORMAT": "json", "DEBUG": "1", "VAR_DIR": str(tmp_path), "DATABASE_URL": "sqlite://:memory:"}
    )
    code = "import logging; logging.getLogger('zarechny.test').warning('hello %s', 'world')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (
        line["message"] == "hello world" and line["level"] == "WARNING" and line["logger"] == "zarechny.test"
    )
    assert line["request_id"] == "-" and "time" in line


def test_demo_logins_are_printed_with_debug_only(settings, world):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert out.getvalue() == ""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    call_command("demo_logins", stdout=out)
    assert "Демонстрационные входы" in out.getvalue() and "Письма складываются в" in out.getvalue()


def test_a_failing_rate_limit_cache_is_logged_without_the_address(rf, monkeypatch, caplog):
    from messages import ratelimits

    def broken(*args):
        raise ConnectionError("redis down")

    monkeypatch.setattr(ratelimits, "_consume_one", broken)
    request = rf.post("/m/2026-000001/support/", REMOTE_ADDR="198.51.100.23")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with caplog.at_level(logging.WARNING, logger="messages.ratelimits"):
        ratelimits.consume(request, "support")  # fails open
    assert "not checked" in caplog.text and ":ip" in caplog.text
    assert "198.51.100.23" not in caplog.text
