"""Liveness and readiness probes for the load balancer and the process manager."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


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
    checks = {"database": _check_database, "queue": _check_queue}
    failed = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # a probe must report any cause as "not ready", never crash
            failed[name] = f"{type(exc).__name__}: {exc}"
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok", "checks": list(checks)})
