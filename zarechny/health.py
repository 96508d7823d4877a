"""Liveness and readiness probes for the load balancer and the process manager."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
@never_cache
def healthz(request):
    # Liveness: the process answers. No database, so a database outage does not restart every web node.
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_queue():
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        raise ConnectionError("broker did not answer")


@require_safe
@never_cache
def readyz(request):
    # The answer is public: only ok / not ok. The cause (host names, ports, driver messages) goes to
    # the server log, where the operator looks anyway.
    checks = {"database": _check_database, "queue": _check_queue}
    ready = True
    for name, check in checks.items():
        try:
            check()
        except Exception:  # a probe must report any cause as "not ready", never crash
            logger.exception("readyz: the %s check failed", name)
            ready = False
    if not ready:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
