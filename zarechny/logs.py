"""Logs (issue 17.3): a request id on every line, one line per request, JSON on demand, no personal data.

- `RequestLogMiddleware` (first in MIDDLEWARE) gives every request an id — the `X-Request-ID` of a
  trusted proxy (TRUST_REQUEST_ID, on behind TRUSTED_PROXY_COUNT proxies) when it looks like one, else a
  new one —, sends it back in `X-Request-ID`, writes one line per request on the `zarechny.request`
  logger (method, path, the names of the query parameters but never their values, status, duration, view
  name, request id) and observes the latency histogram of `zarechny.metrics`.
- The id lives in a context variable; `RequestIdFilter` (on the console handler) stamps it on every
  record, so every line a request causes carries it. The services' wake of the worker passes it in the
  task's kwargs (`messages.outbox`), and the task sets it again in the worker (`request_context`): the
  worker's lines for a run a request caused carry that request's id.
- `LOG_FORMAT=json` switches the console to one JSON object per line (python-json-logger).

Personal data stays out: paths carry message numbers only, query values (search words, addresses) are
dropped, and the worker logs SMTP failures by type and code (`describe_error`), never the addresses.
"""

import contextlib
import contextvars
import logging
import re
import smtplib
import time
import uuid
from collections.abc import Iterator

from django.conf import settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
request_logger = logging.getLogger("zarechny.request")


def current_request_id() -> str | None:
    return request_id_var.get()


@contextlib.contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """Run a block (a worker task) with the id of the request that caused it on its log lines."""
    token = request_id_var.set(request_id if request_id and REQUEST_ID_RE.match(request_id) else None)
    try:
        yield
    finally:
        request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts `request_id` (or "-") on every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


class QuietTaskLines(logging.Filter):
    """django-q2 writes an INFO line for every task it enqueues, starts, finishes and schedules — with the
    outbox woken after every change, a line per e-mail. Those lines pass at DEBUG only; start-up, stop,
    errors and warnings always pass. django-q2 translates them (the console is Russian), so the patterns
    are its own message templates in English and in LANGUAGE_CODE."""

    TEMPLATES = (
        "Processed '%(info_name)s' (%(task_name)s)",
        "%(proc_name)s processing %(task_name)s '%(func_name)s'",
        "%(process_name)s created task %(task_name)s from schedule [%(schedule)s]",
    )
    _pattern: re.Pattern[str] | None = None

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        if cls._pattern is None:
            from django.utils import translation

            texts: set[str] = set()
            for language in ("en", settings.LANGUAGE_CODE):
                with translation.override(language):
                    texts.update(translation.gettext(template) for template in cls.TEMPLATES)
            parts = [re.sub(r"%\\\(\w+\\\)s", ".*", re.escape(text)) for text in texts]
            cls._pattern = re.compile(r"^(Enqueued \[|Pushed |" + "|".join(parts) + ")", re.DOTALL)
        return cls._pattern

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or logging.getLogger("django-q").level <= logging.DEBUG:
            return True
        return not self.pattern().match(record.getMessage())


def describe_error(exc: BaseException) -> str:
    """An exception for the log: its type and, for SMTP, the reply code — not the text, which can name
    the recipients (SMTPRecipientsRefused is a dict of addresses)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(reply[0]) for reply in exc.recipients.values()})
        return f"{type(exc).__name__} ({', '.join(codes)})"
    if code is not None:
        return f"{type(exc).__name__} ({code})"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__} (errno {exc.errno})"
    return type(exc).__name__


def safe_path(request) -> str:
    """The path with the query's parameter names only: `/messages/?q=…&page=…`."""
    path = request.path
    if request.GET:
        path += "?" + "&".join(f"{name}=…" for name in sorted(request.GET))
    return path


def _incoming_id(request) -> str | None:
    if not settings.TRUST_REQUEST_ID:
        return None
    value = request.headers.get("X-Request-ID", "")
    return value if REQUEST_ID_RE.match(value) else None


class RequestLogMiddleware:
    """One log line and one latency observation per request; the request id for everything it causes."""

    def __init__(self, get_response):
        self.get_response = get_response
        from . import metrics

        self.observe = metrics.observe_request

    def __call__(self, request):
        request_id = _incoming_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            duration = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name if match else None) or "<unresolved>"
            self.observe(view, request.method, status, duration)
            request_logger.info(
                "%s %s %s %.1fms %s",
                request.method,
                safe_path(request),
                status,
                duration * 1000,
                view,
                extra={
                    "method": request.method,
                    "path": safe_path(request),
                    "status": status,
                    "duration_ms": round(duration * 1000, 1),
                    "view": view,
                },
            )
            request_id_var.reset(token)


task_logger = logging.getLogger("zarechny.tasks")


def task_finished(sender, task, **kwargs):
    """django-q2's post_execute_in_worker: a heartbeat for the metrics and a DEBUG line for accounting."""
    from .metrics import record_heartbeat

    func = task.get("func")
    func = func if isinstance(func, str) else getattr(func, "__qualname__", repr(func))
    success = bool(task.get("success"))
    request_id = (task.get("kwargs") or {}).get("request_id")
    if success:
        try:
            record_heartbeat(func)
        except Exception:  # the cache being down must not fail the task's result
            task_logger.warning("could not record the heartbeat of %s", func, exc_info=True)
    task_logger.debug(
        "task %s %s %s",
        task.get("id"),
        func,
        "succeeded" if success else "failed",
        extra={"task_id": task.get("id"), "func": func, "success": success, "task_request_id": request_id},
    )
