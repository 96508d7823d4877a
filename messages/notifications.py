"""Emails of the platform: which notices are mailed, how they are rendered, the staff digest, retries.

Every Notification row shows in the recipient's in-app list at once. Mailed one by one (the worker's
outbox, messages/tasks.py): everything the author must be told by the regulation — received (§5.2–5.4),
registered (§5.6), rejected (§5.7), answered (§6.4), sent to rework and closed (§7.4) — and the staff
notices that ask for action on one message: rework_assigned, reassign_requested, reminder, escalation.
`assigned` (a new message routed to an executor) is in-app only and reaches the executor's mailbox
through the daily digest of their queue (DESIGN.md: "Staff get a digest rather than one mail per
message"), so its rows are marked `skipped` for email.

The people who follow a public message (messages/services/follow.py) get a `follow_*` e-mail at each
public step — registered, answered, rework, closed — with the public facts only (what the message's page
shows: never the author, never remarks a moderator has not reviewed), a one-click unfollow link (signed,
messages/unfollow.py) and the List-Unsubscribe headers of RFC 2369 / RFC 8058. Each is checked again just
before it is sent (`follow_still_wanted`): unfollowed, or the message no longer public — nothing goes out.
"""

import logging
import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from directory.models import Official, RejectionReason
from directory.workdays import MOSCOW, WorkingCalendar, local_date
from zarechny.logs import describe_error

from . import links, selectors
from .models import (
    PUBLIC_STATES,
    Answer,
    MessageEvent,
    MessageFollow,
    Notification,
    StaffDigest,
    message_path,
)
from .outbox import enqueue_outbox_delivery_on_commit
from .unfollow import unfollow_token

logger = logging.getLogger(__name__)

NKind = Notification.Kind
FOLLOW_KINDS = frozenset(
    {NKind.FOLLOW_REGISTERED, NKind.FOLLOW_ANSWERED, NKind.FOLLOW_REWORK, NKind.FOLLOW_CLOSED}
)
EMAIL_KINDS = FOLLOW_KINDS | frozenset(
    {
        NKind.RECEIVED,
        NKind.REGISTERED,
        NKind.REJECTED,
        NKind.ANSWERED,
        NKind.REWORK,
        NKind.CLOSED,
        NKind.REWORK_ASSIGNED,
        NKind.REASSIGN_REQUESTED,
        NKind.REMINDER,
        NKind.ESCALATION,
    }
)
DIGEST_KINDS = frozenset(set(NKind.values) - EMAIL_KINDS)
DIGEST_LIST_LIMIT = 30


def site_url(path=""):
    return f"{settings.SITE_URL}{path}"


def message_url(message):
    return site_url(message.get_absolute_url())


def office_url(view="home", **kwargs):
    """An absolute link into the back-office. The one place that builds staff links; the staff face says where
    its pages are (messages/links.py), so a moved page cannot leave a dead link in the mail."""
    return site_url(links.page_path(f"staff_{view}", **kwargs))


def staff_message_url(message, *, to_answer):
    """The back-office page where the official acts on `message`: the executor's answer page when the
    notice asks for an answer (§6.2, §7.3), else the review page (register/reject §5, reassign)."""
    return office_url("answer" if to_answer else "review", number=message.number)


# Staff notices, and whether each asks its recipients for an answer (else for a moderator's decision).
# Decided by the notice, not by the message's state when the mail goes out: a registration reminder must
# not turn into an answer link for a moderator who cannot answer.
STAFF_KIND_ASKS_FOR_ANSWER = {
    NKind.REWORK_ASSIGNED: True,
    NKind.REASSIGN_REQUESTED: False,
    NKind.ESCALATION: False,
}


def unfollow_url(notification):
    """The signed one-click link that ends this follower's subscription to this message (no login)."""
    token = unfollow_token(user_id=notification.recipient_id, message_id=notification.message_id)
    return site_url(links.page_path("unfollow", token=token))


def follow_still_wanted(notification):
    """Checked by the delivery right before a follow e-mail goes out: the person still follows the
    message and it is still public. Otherwise the row is skipped (unfollowed after the step, or the
    message left the public pages)."""
    return (
        notification.message.state in PUBLIC_STATES
        and MessageFollow.objects.filter(
            message_id=notification.message_id, user_id=notification.recipient_id
        ).exists()
    )


def _domain():
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "zarechny.local"


def _render(template_base, context):
    # The worker has no request to take a language from; the platform speaks Russian.
    with translation.override("ru"):
        subject = render_to_string(f"emails/{template_base}.subject.txt", context)
        text = render_to_string(f"emails/{template_base}.txt", context)
        html = render_to_string(f"emails/{template_base}.html", context)
    # A subject is one line whatever the template's whitespace (a newline in it breaks the header).
    subject = " ".join(subject.split())
    # Blank-line runs left by template tags are squeezed so the plain text reads cleanly.
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return subject, text, html


def notification_context(notification):
    message = notification.message
    event = notification.event
    data = event.data or {}
    context = {
        "notification": notification,
        "recipient": notification.recipient,
        "message": message,
        "event": event,
        "site_url": settings.SITE_URL,
        "message_url": message_url(message),
        "rate_url": message_url(message) + "#rate",
        "office_url": office_url(),
        "rating_window_days": settings.RATING_WINDOW_DAYS,
    }
    kind = notification.kind
    if kind == NKind.REMINDER:
        context["action_url"] = staff_message_url(message, to_answer=data.get("deadline") == "answer")
    elif kind in STAFF_KIND_ASKS_FOR_ANSWER:
        context["action_url"] = staff_message_url(message, to_answer=STAFF_KIND_ASKS_FOR_ANSWER[kind])
    if kind == NKind.REJECTED:
        codes = data.get("reasons") or []
        reasons = {r.code: r for r in RejectionReason.objects.filter(code__in=codes)}
        context["reasons"] = [reasons[c] for c in codes if c in reasons]
        context["duplicate_of"] = data.get("duplicate_of")
        if context["duplicate_of"]:
            # §4.4: the original's page, at its «Поддержать» button (one click there).
            context["duplicate_url"] = site_url(message_path(context["duplicate_of"]))
            context["duplicate_support_url"] = context["duplicate_url"] + "#support"
            context["other_reasons"] = [r for r in context["reasons"] if r.code != RejectionReason.DUPLICATE]
        context["edit_url"] = message_url(message)
    elif kind in (NKind.ANSWERED, NKind.FOLLOW_ANSWERED):
        answer = (
            Answer.objects.select_related("organization")
            .filter(pk=data.get("answer"), message=message)
            .first()
        )
        context["answer"] = answer
        # §6.3: scanned documents as download links with their size (the photos are on the page).
        context["documents"] = [
            (d.label, site_url(links.page_path("document", number=message.number, token=d.token)))
            for d in (answer.documents.order_by("position", "id") if answer is not None else [])
        ]
        context["photo_count"] = answer.attachments.count() if answer is not None else 0
    if kind in FOLLOW_KINDS:
        context["unfollow_url"] = unfollow_url(notification)
        # Closed by the author's positive rating (§7.1), or without a rating after the window.
        context["closed_by_rating"] = event.kind == MessageEvent.Kind.RATED_POSITIVE
    if kind in (NKind.REMINDER, NKind.ESCALATION):
        context["stage"] = data.get("deadline")
        due = data.get("due")
        context["due"] = datetime.fromisoformat(due) if due else None
    return context


def build_email(notification):
    """The email of one outbox row. The Message-ID is derived from the row, so a receiving server or
    mail client recognises the same notice should it ever arrive twice."""
    context = notification_context(notification)
    subject, text, html = _render(notification.kind, context)
    headers = {"Message-ID": f"<notification-{notification.pk}@{_domain()}>"}
    if notification.kind in FOLLOW_KINDS:
        # RFC 2369 and RFC 8058: the mail client's own «Отписаться» posts `List-Unsubscribe=One-Click`
        # to the same signed link, which ends the subscription without a login or a page.
        headers["List-Unsubscribe"] = f"<{context['unfollow_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return email


# --- retry from the admin --------------------------------------------------------------------------


def notifications_retry(*, notification_ids, now=None):
    """Put failed emails back into the outbox for an immediate new attempt; returns the count.

    Only `failed` rows, in one conditional UPDATE: a row a worker is sending right now, or has sent, is
    never touched, so "retry" cannot mail a notice twice (messages/tasks.py).
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        count = Notification.objects.filter(
            pk__in=list(notification_ids),
            email_status=Notification.EmailStatus.FAILED,
            kind__in=EMAIL_KINDS,
        ).update(
            email_status=Notification.EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            last_error="",
        )
        if count:
            enqueue_outbox_delivery_on_commit()
    return count


# --- the staff digest ------------------------------------------------------------------------------


def _previous_digest_moment(now, calendar):
    """Messages newer than this are "new" in today's digest: the notice hour of the previous working day."""
    day = local_date(now) - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(settings.STAFF_NOTICE_HOUR), tzinfo=MOSCOW)


def digest_context(official, *, now, since):
    """What one official has in their queues now (DIGEST_LIST_LIMIT rows each, oldest deadline first)."""
    to_register = selectors.moderator_queue(official).select_related("category")
    to_answer = selectors.executor_queue(official).select_related("category")
    register_count = to_register.count()
    answer_count = to_answer.count()
    if not register_count and not answer_count:
        return None
    return {
        "official": official,
        "recipient": official.user,
        "now": now,
        "since": since,
        "site_url": settings.SITE_URL,
        "office_url": office_url(),
        "to_register": [(m, staff_message_url(m, to_answer=False)) for m in to_register[:DIGEST_LIST_LIMIT]],
        "to_register_count": register_count,
        "to_register_new": to_register.filter(submitted_at__gte=since).count(),
        "to_register_overdue": to_register.filter(registration_due__lt=now).count(),
        "to_answer": [(m, staff_message_url(m, to_answer=True)) for m in to_answer[:DIGEST_LIST_LIMIT]],
        "to_answer_count": answer_count,
        "to_answer_new": to_answer.filter(registered_at__gte=since).count(),
        "to_answer_overdue": to_answer.filter(answer_due__lt=now).count(),
        "list_limit": DIGEST_LIST_LIMIT,
    }


def send_staff_digests(*, now=None, connection=None):
    """The morning digest (working days only): each official's queues, one email each, once a day."""
    now = now or timezone.now()
    today = local_date(now)
    calendar = WorkingCalendar(today - timedelta(days=31), today)
    result = {"sent": 0, "failed": 0, "empty": 0}
    if not calendar.is_working_day(today):
        return result
    since = _previous_digest_moment(now, calendar)
    officials = (
        Official.objects.filter(
            is_active=True,
            user__is_active=True,
            role__in=[Official.Role.MODERATOR, Official.Role.EXECUTOR, Official.Role.SUPERVISOR],
        )
        .exclude(user__email="")
        .select_related("user", "organization")
        .order_by("pk")
    )
    for official in officials.iterator(chunk_size=200):
        context = digest_context(official, now=now, since=since)
        if context is None:
            result["empty"] += 1
            continue
        try:
            with transaction.atomic():
                digest = StaffDigest.objects.create(
                    recipient=official.user,
                    day=today,
                    created_at=now,
                    to_register=context["to_register_count"],
                    to_answer=context["to_answer_count"],
                )
        except IntegrityError:
            continue  # another run already took this official's digest for today
        subject, text, html = _render("digest", context)
        email = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[official.user.email],
            headers={"Message-ID": f"<digest-{digest.pk}@{_domain()}>"},
            connection=connection,
        )
        email.attach_alternative(html, "text/html")
        try:
            email.send()
        except Exception as exc:  # recorded on the row and in the log; the next official still gets theirs
            logger.warning("staff digest %s failed: %s", digest.pk, describe_error(exc))
            StaffDigest.objects.filter(pk=digest.pk).update(
                status=StaffDigest.Status.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            result["failed"] += 1
            continue
        StaffDigest.objects.filter(pk=digest.pk).update(
            status=StaffDigest.Status.SENT, sent_at=timezone.now()
        )
        result["sent"] += 1
    return result
