"""How often a person may submit, answer with attachments and support (issue 11): one mechanism.

Each action has rules in settings (`RATE_LIMIT_<ACTION>`, allauth's syntax: "10/1h/user,30/1d/user,
30/1h/ip"); a rule counts per account ("user") or per client address ("ip", behind trusted proxies by
TRUSTED_PROXY_COUNT, like allauth's own limits). The counters live in the default cache, which is
shared by every process (the database cache, or Redis): a per-process cache would multiply each limit by
the number of workers.

Why per request and not in the services: the address is a property of the request, and system callers
(`bootstrap --demo`, imports, tests' factories) must not be limited. Every entry point that takes a
person's request calls `consume` before the work — the portal's views, the back-office's answer view,
and later the Open311 API before `message_submit`.

A sliding window: each counter is the list of the hit times within the longest period, so the refusal
can say exactly when the next attempt will pass. A counter is read and written under a short lock taken
with `cache.add` (atomic in Redis and, by its primary key, in the database cache), so parallel requests
cannot both take the last slot. A limit that cannot be checked (the cache is down) lets the request
through with a warning in the log: a broken counter must not take the site down.
"""

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils import timezone

logger = logging.getLogger(__name__)

SUBMIT = "submit"
ANSWER_ATTACHMENTS = "answer_attachments"
SUPPORT = "support"
GUEST_SUPPORT = "guest_support"
API = "api"  # every Open311 request without a key, per address (RATE_LIMIT_API)
API_CLIENT = "api_client"  # every request with a key, against that client's own limit (ApiClient.rate_limit)

REFUSALS = {
    SUBMIT: "Слишком много сообщений за короткое время. Попробуйте снова после {time}.",
    ANSWER_ATTACHMENTS: "Слишком много ответов с вложениями за короткое время. Попробуйте снова после {time}.",
    SUPPORT: "Слишком много поддержек за короткое время. Попробуйте снова после {time}.",
    GUEST_SUPPORT: "Слишком много попыток поддержки с вашего адреса. Попробуйте снова после {time}.",
    API: "Слишком много запросов к API с вашего адреса. Попробуйте снова после {time}.",
    API_CLIENT: "Приложение исчерпало свой лимит запросов. Попробуйте снова после {time}.",
}
# The actions whose rules are settings (RATE_LIMIT_<ACTION>); API_CLIENT's are each client's own.
SETTINGS_ACTIONS = (SUBMIT, ANSWER_ATTACHMENTS, SUPPORT, GUEST_SUPPORT, API)

LOCK_SECONDS = 5
LOCK_WAIT_SECONDS = 1.0
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int
    per: str  # "user" or "ip"

    def __str__(self):
        return f"{self.amount}/{self.seconds}s/{self.per}"


def parse_rates(text):
    """ "10/1h/user,30/1d/user,30/1h/ip" → [Rate, …]; an empty text means no limit."""
    rates = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        bits = part.split("/")
        if len(bits) == 2:
            bits.append("ip")  # allauth's default
        amount, period, per = bits if len(bits) == 3 else ("", "?", "")
        unit = period[-1:]
        if not amount.isdigit() or unit not in UNITS or per not in ("user", "ip"):
            raise ValueError(f"bad rate limit {part!r}: expected like 10/1h/user or 30/1d/ip")
        rates.append(Rate(int(amount), int(float(period[:-1] or 1) * UNITS[unit]), per))
    return rates


def rules(action):
    return parse_rates(getattr(settings, f"RATE_LIMIT_{action.upper()}"))


def check_settings():
    for action in SETTINGS_ACTIONS:
        try:
            rules(action)
        except ValueError as error:
            raise ImproperlyConfigured(f"RATE_LIMIT_{action.upper()}: {error}") from None


class RateLimited(Exception):
    """Refused: `retry_at` is the moment the next attempt passes; `str()` is the Russian text."""

    def __init__(self, action, retry_at):
        super().__init__(action)
        self.action = action
        self.retry_at = retry_at

    def __str__(self):
        # Rounded up to the minute, so that "after 14:35" is never a moment too early.
        at = timezone.localtime(self.retry_at)
        if at.second or at.microsecond:
            at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        when = f"{at:%H:%M}" if at.date() == timezone.localdate() else f"{at:%H:%M %d.%m.%Y}"
        return REFUSALS[self.action].format(time=when)


def _loggable(key):
    """A counter's key without the address or account it counts (rl:action:rate:ip), for the log."""
    return ":".join(key.split(":")[:4])


@dataclass
class Usage:
    """The hits one `consume` recorded; `rollback()` gives them back when nothing was done after all."""

    hits: list = field(default_factory=list)  # (cache key, hit time, timeout)

    def rollback(self):
        for key, stamp, timeout in self.hits:
            try:
                with _locked(key):
                    history = [t for t in cache.get(key) or [] if t != stamp]
                    cache.set(key, history, timeout)
            except Exception as error:  # a give-back that fails only makes the limit stricter
                logger.warning("rate limit %s: could not give back a hit (%s)", _loggable(key), error)
        self.hits = []


def client_ip(request):
    # allauth's helper honours ALLAUTH_TRUSTED_PROXY_COUNT (TRUSTED_PROXY_COUNT in the environment).
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


class _locked:
    def __init__(self, key):
        self.lock_key = f"{key}:lock"
        self.held = False

    def __enter__(self):
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = 0.005
        while not cache.add(self.lock_key, 1, timeout=LOCK_SECONDS):
            if time.monotonic() >= deadline:
                # A lock left by a crashed process expires after LOCK_SECONDS; meanwhile count without it.
                return self
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        self.held = True
        return self

    def __exit__(self, *exc):
        if self.held:
            cache.delete(self.lock_key)


def _consume_one(key, rate, now):
    """Record a hit at `now` unless `rate` is used up; returns (recorded, retry time or None)."""
    with _locked(key):
        history = sorted(t for t in cache.get(key) or [] if t > now - rate.seconds)
        if len(history) >= rate.amount:
            # The slot that frees first is the oldest of the last `amount` hits.
            return False, history[len(history) - rate.amount] + rate.seconds
        history.append(now)
        cache.set(key, history, rate.seconds)
        return True, None


def consume(request, action, *, user=None, per=("user", "ip")):
    """Count one `action` of this request's person, or raise RateLimited (nothing counted then).

    Returns a Usage to `rollback()` if the action is refused for another reason afterwards, so that
    a form with a mistake does not cost the person an attempt. `per` picks the kinds of rule that apply:
    the Open311 API submits for a citizen with the citizen's "user" rules, while the address it comes from
    is the client's server, limited by the client's own rate (`consume_subject`).
    """
    user = user if user is not None else getattr(request, "user", None)
    subjects = []
    for rate in rules(action):
        if rate.per not in per:
            continue
        if rate.per == "user":
            if user is None or not user.is_authenticated:
                continue
            subjects.append((rate, f"user:{user.pk}"))
        else:
            subjects.append((rate, f"ip:{client_ip(request)}"))
    return _consume(action, subjects)


def consume_subject(action, subject, rates):
    """Count one `action` of any `subject` (an API client: "client:7") against `rates` (parse_rates)."""
    return _consume(action, [(rate, subject) for rate in rates])


def _consume(action, subjects):
    now = time.time()
    usage, refused_until = Usage(), None
    for rate, subject in subjects:
        key = f"rl:{action}:{rate}:{subject}"
        try:
            recorded, retry = _consume_one(key, rate, now)
        except Exception as error:  # any cache failure (Redis, database) fails open
            logger.warning("rate limit %s not checked: %s", _loggable(key), error)
            continue
        if recorded:
            usage.hits.append((key, now, rate.seconds))
        else:
            refused_until = max(refused_until or 0, retry)
    if refused_until is not None:
        usage.rollback()
        raise RateLimited(action, datetime.fromtimestamp(math.ceil(refused_until), tz=UTC))
    return usage
