"""Prometheus metrics for the operators (issue 17.2), with prometheus-client.

`GET /metrics` answers only a request with `Authorization: Bearer <METRICS_TOKEN>` or one whose peer
address (REMOTE_ADDR: the scraper talks to the node directly) is in METRICS_ALLOWED_IPS; everyone else
gets the site's 404, so the endpoint does not show itself. Two kinds of figures:

- Request latency (`zarechny_http_request_duration_seconds`, by view name, method and status class) is
  observed in each process by `zarechny.logs.RequestLogMiddleware`. Gunicorn runs several processes: with
  PROMETHEUS_MULTIPROC_DIR set (zarechny/gunicorn_conf.py sets a fresh one per master) every process
  writes its samples there and a scrape adds them all up (prometheus-client's multiprocess mode); without
  it a scrape sees only the process that answers.
- Everything else is read from the database (and the cache) at scrape time, so any node gives the same
  answer: the outboxes, the messages waiting and overdue, and the worker's heartbeat per schedule.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

HEARTBEAT_KEY = "worker-heartbeat:{func}"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_LATENCY = Histogram(
    "zarechny_http_request_duration_seconds",
    "Time from the first middleware to the response, by Django view name.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
METRIC_NAMES = (
    "zarechny_http_request_duration_seconds",
    "zarechny_outbox_pending",
    "zarechny_outbox_failed",
    "zarechny_outbox_oldest_pending_age_seconds",
    "zarechny_messages_waiting",
    "zarechny_messages_overdue",
    "zarechny_worker_last_success_timestamp_seconds",
)


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(view=view, method=method, status=f"{status // 100}xx").observe(seconds)


def record_heartbeat(func: str, when: float | None = None) -> None:
    """Called in the worker after each successful task (zarechny.apps): the last success per function."""
    cache.set(HEARTBEAT_KEY.format(func=func), when or time.time(), timeout=None)


class DatabaseCollector:
    """The gauges read at scrape time (messages.selectors.operations_figures, the schedules, the cache)."""

    def collect(self):
        from django_q.models import Schedule

        from messages.selectors import operations_figures

        figures = operations_figures(timezone.now())
        pending = GaugeMetricFamily(
            "zarechny_outbox_pending",
            "E-mails waiting in an outbox (pending or being sent).",
            labels=["outbox"],
        )
        failed = GaugeMetricFamily(
            "zarechny_outbox_failed", "E-mails given up on (an administrator may retry).", labels=["outbox"]
        )
        oldest = GaugeMetricFamily(
            "zarechny_outbox_oldest_pending_age_seconds",
            "Age of the oldest unsent e-mail of an outbox (0 when none).",
            labels=["outbox"],
        )
        for outbox, values in figures["outboxes"].items():
            pending.add_metric([outbox], values["pending"])
            failed.add_metric([outbox], values["failed"])
            oldest.add_metric([outbox], values["oldest_pending_age"])
        waiting = GaugeMetricFamily(
            "zarechny_messages_waiting", "Messages waiting for registration or an answer.", labels=["stage"]
        )
        for stage, count in figures["waiting"].items():
            waiting.add_metric([stage], count)
        overdue = GaugeMetricFamily(
            "zarechny_messages_overdue",
            "Messages past their registration (§5) or answer (§6.2) deadline now.",
            labels=["stage"],
        )
        for stage, count in figures["overdue"].items():
            overdue.add_metric([stage], count)
        heartbeat = GaugeMetricFamily(
            "zarechny_worker_last_success_timestamp_seconds",
            "Unix time of the last successful run of each scheduled task (0: none recorded).",
            labels=["schedule"],
        )
        funcs = sorted(set(Schedule.objects.values_list("func", flat=True)))
        seen = cache.get_many([HEARTBEAT_KEY.format(func=func) for func in funcs])
        for func in funcs:
            heartbeat.add_metric([func], float(seen.get(HEARTBEAT_KEY.format(func=func)) or 0))
        yield from (pending, failed, oldest, waiting, overdue, heartbeat)


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    if settings.METRICS_ALLOWED_IPS:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)
    return False


def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_LATENCY)
    registry.register(DatabaseCollector())
    return registry


@require_safe
@never_cache
def metrics_view(request):
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
