"""Deadline reminders and escalations (§5.4 three working days to register, §6.2 and §7.3 ten to answer).

A reminder goes to the responsible staff on the working day before the day a deadline ends; an escalation
goes to the category's moderators and the supervisors on the first working day after it ended. Each is
sent exactly once per message and deadline: a `DeadlineNotice` row, unique per (message, stage, kind,
due), is written in the same transaction as the event and the notifications, under the message row lock.
A resubmission (§5.7) or a rework (§7.3) stores a new due moment, so it gets its own reminder and
escalation. The sweep looks at the current state only — after days of downtime it sends what is due now,
once, never one notice per missed run.

Staff mail goes out on working days from STAFF_NOTICE_HOUR (Moscow); the sweep does nothing at night,
at weekends and on holidays, so a deadline that ends on Friday is escalated on Monday morning.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from directory import routing
from directory.workdays import MOSCOW, WorkingCalendar, local_date, working_days_late

from .models import AWAITING_ANSWER_STATES, DeadlineNotice, Message, MessageEvent, Notification, State
from .services.common import notify, record_event
from .services.transactions import service_atomic

STAGE_FIELD = {
    DeadlineNotice.Stage.REGISTRATION: "registration_due",
    DeadlineNotice.Stage.ANSWER: "answer_due",
}
STAGE_STATES = {
    DeadlineNotice.Stage.REGISTRATION: (State.SUBMITTED,),
    DeadlineNotice.Stage.ANSWER: AWAITING_ANSWER_STATES,
}
EVENT_KIND = {
    DeadlineNotice.Kind.REMINDER: MessageEvent.Kind.REMINDER,
    DeadlineNotice.Kind.ESCALATION: MessageEvent.Kind.ESCALATED,
}
NOTIFICATION_KIND = {
    DeadlineNotice.Kind.REMINDER: Notification.Kind.REMINDER,
    DeadlineNotice.Kind.ESCALATION: Notification.Kind.ESCALATION,
}


def staff_hours(now, calendar=None):
    """Whether staff notices may go out now: a working day (Moscow), from STAFF_NOTICE_HOUR on."""
    local = timezone.localtime(now, MOSCOW)
    day = local.date()
    calendar = calendar or WorkingCalendar(day, day)
    return calendar.is_working_day(day) and local.hour >= settings.STAFF_NOTICE_HOUR


def notice_window(now, calendar):
    """The latest due moment that gets a reminder today: the end of the next working day.

    On working day T a reminder is due for every deadline ending on the next working day after T — that
    is, on the working day before the deadline's last day.
    """
    return calendar.add_working_days(now, 1)


def _recipients(message, stage, kind):
    if kind == DeadlineNotice.Kind.ESCALATION:
        officials = routing.category_moderators(message.category, include_supervisors=True)
    elif stage == DeadlineNotice.Stage.REGISTRATION:
        officials = routing.category_moderators(message.category)
        if not officials.exists():
            # Appendix 2 leaves «Другая проблема» and «Машина на газоне» to the supervisors (DESIGN.md).
            officials = routing.category_moderators(message.category, include_supervisors=True)
    else:
        officials = routing.category_answerers(message.category, message.executing_organization)
    return [o.user for o in officials.select_related("user").order_by("pk")]


def deadline_notice_send(*, message, stage, kind, now=None):
    """Write one reminder or escalation (event + notice + notifications) unless it was already written.

    Returns the DeadlineNotice, or None when it is not (or no longer) due or was already sent. The row
    lock serialises two workers sweeping the same message; the unique constraint is the last word.
    """
    now = now or timezone.now()
    pk = message.pk if isinstance(message, Message) else message
    with service_atomic():
        try:
            message = (
                Message.objects.select_for_update(of=("self",))
                .select_related("category", "executing_organization")
                .get(pk=pk)
            )
        except Message.DoesNotExist:
            return None
        due = getattr(message, STAGE_FIELD[stage])
        if message.state not in STAGE_STATES[stage] or due is None:
            return None
        if kind == DeadlineNotice.Kind.ESCALATION and due >= now:
            return None
        if kind == DeadlineNotice.Kind.REMINDER and due < now:
            return None  # too late to remind: the escalation speaks instead
        if DeadlineNotice.objects.filter(message=message, stage=stage, kind=kind, due=due).exists():
            return None
        event = record_event(
            message,
            EVENT_KIND[kind],
            actor=None,
            from_state=message.state,
            now=now,
            data={"deadline": str(stage), "due": due.isoformat()},
        )
        try:
            with transaction.atomic():
                notice = DeadlineNotice.objects.create(
                    message=message, stage=stage, kind=kind, due=due, event=event, created_at=now
                )
        except IntegrityError:
            transaction.set_rollback(True)
            return None
        notify(event, NOTIFICATION_KIND[kind], _recipients(message, stage, kind))
    return notice


def _pending(stage, kind, due_q):
    field = STAGE_FIELD[stage]
    already = DeadlineNotice.objects.filter(
        message=OuterRef("pk"), stage=stage, kind=kind, due=OuterRef(field)
    )
    return (
        Message.objects.filter(state__in=STAGE_STATES[stage], **due_q)
        .exclude(Exists(already))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sweep_deadlines(*, now=None, batch_size=200):
    """Send every reminder and escalation that is due now and not yet sent. Returns counts per kind."""
    now = now or timezone.now()
    today = local_date(now)
    calendar = WorkingCalendar(today, today)
    sent = {"reminder": 0, "escalation": 0}
    if not staff_hours(now, calendar):
        return sent
    window = notice_window(now, calendar)
    plan = []
    for stage, field in STAGE_FIELD.items():
        plan.append((stage, DeadlineNotice.Kind.REMINDER, {f"{field}__gt": now, f"{field}__lte": window}))
        plan.append((stage, DeadlineNotice.Kind.ESCALATION, {f"{field}__lt": now}))
    for stage, kind, due_q in plan:
        cursor = 0
        while True:
            # Ids only, a batch at a time: a backlog after downtime never sits in memory at once.
            pks = list(_pending(stage, kind, due_q).filter(pk__gt=cursor)[:batch_size])
            if not pks:
                break
            cursor = pks[-1]
            for pk in pks:
                if deadline_notice_send(message=pk, stage=stage, kind=kind, now=now) is not None:
                    sent[str(kind)] += 1
    return sent


def mark_answer_overdue(messages, now=None):
    """§6.2, §7.3 in public: set `answer_overdue_days` on each message — None while no answer is late, else
    the working days since its answer deadline ended (0 on the days off right after it). The public list,
    the public page and the staff boards count lateness with this one rule (directory.workdays); one
    calendar read for a whole page, none when nothing on it is late."""
    now = now or timezone.now()
    late = [
        m
        for m in messages
        if m.state in AWAITING_ANSWER_STATES and m.answer_due is not None and m.answer_due < now
    ]
    for message in messages:
        message.answer_overdue_days = None
    for message, days in zip(late, working_days_late([m.answer_due for m in late], now), strict=True):
        message.answer_overdue_days = days
    return messages
