"""Deadline reminders and escalations with the clock moved forward (time-machine).

The calendar of November 2026: Wednesday 4 November is a holiday (День народного единства), 7–8 and
14–15 are weekends. A message received on Friday 30 October is due for registration at the end of
Thursday 5 November (Mon 2, Tue 3, Thu 5: §5.4, three working days), so its reminder goes out on Tuesday 3
(the working day before, skipping the holiday) and its escalation on Friday 6. Registered the same Friday,
the answer is due at the end of Monday 16 November (ten working days, §6.2): reminder on Friday 13 (the
weekend in between), escalation on Tuesday 17.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from directory.models import RejectionReason
from messages import services
from messages.deadlines import deadline_notice_send, sweep_deadlines
from messages.models import DeadlineNotice, MessageEvent, Notification
from messages.tasks import deliver_outbox
from tests.factories import submit

MSK = ZoneInfo("Europe/Moscow")
FRIDAY = datetime(2026, 10, 30, 12, 0, tzinfo=MSK)


def _notices(kind):
    return list(DeadlineNotice.objects.filter(kind=kind).order_by("created_at"))


def _local(moment):
    return moment.astimezone(MSK)


def test_over_a_weekend_and_a_holiday_each_notice_once_on_its_working_day(
    citizen, category, moderator, executor, supervisor, other_category_moderator
):
    with time_machine.travel(FRIDAY, tick=False) as clock:
        waiting = submit(citizen, category, now=FRIDAY)
        to_answer = submit(citizen, category, text="Не горит фонарь", now=FRIDAY)
        services.message_register(message=to_answer, actor=moderator, now=FRIDAY)
        assert _local(waiting.registration_due).date() == date(2026, 11, 5)
        to_answer.refresh_from_db()
        assert _local(to_answer.answer_due).date() == date(2026, 11, 16)

        # The worker sweeps every three hours, around the clock, for nineteen days.
        moment = FRIDAY
        while moment < datetime(2026, 11, 18, 12, 0, tzinfo=MSK):
            moment += timedelta(hours=3)  # 12:00, 15:00, … lands on 09:00 every morning
            clock.move_to(moment)
            sweep_deadlines()
        deliver_outbox()

    reminders = _notices(DeadlineNotice.Kind.REMINDER)
    escalations = _notices(DeadlineNotice.Kind.ESCALATION)
    assert [(n.message_id, n.stage, _local(n.created_at).date()) for n in reminders] == [
        (waiting.pk, "registration", date(2026, 11, 3)),
        (to_answer.pk, "answer", date(2026, 11, 13)),
    ]
    assert [(n.message_id, n.stage, _local(n.created_at).date()) for n in escalations] == [
        (waiting.pk, "registration", date(2026, 11, 6)),
        (to_answer.pk, "answer", date(2026, 11, 17)),
    ]
    # In the morning of the working day, not at midnight.
    assert all(_local(n.created_at).hour == 9 for n in reminders + escalations)

    # Each notice is one internal event and one notification per responsible person.
    events = MessageEvent.objects.filter(kind__in=["reminder", "escalated"])
    assert events.count() == 4 and not events.filter(is_public=True).exists()
    recipients = {
        (n.message_id, n.kind): sorted(
            Notification.objects.filter(event=n.event).values_list("recipient__email", flat=True)
        )
        for n in reminders + escalations
    }
    assert recipients == {
        (waiting.pk, "reminder"): ["moderator@adm.ru"],
        (to_answer.pk, "reminder"): ["executor@adm.ru"],  # issue 13.9: the executor answers
        (waiting.pk, "escalation"): ["moderator@adm.ru", "supervisor@city.ru"],
        (to_answer.pk, "escalation"): ["moderator@adm.ru", "supervisor@city.ru"],
    }
    # And each of those notifications was mailed exactly once.
    staff_mail = [m for m in mail.outbox if m.to[0] != citizen.email]
    assert len(staff_mail) == 6
    assert len({m.extra_headers["Message-ID"] for m in staff_mail}) == 6


def test_after_days_of_downtime_the_due_notice_goes_once_not_per_missed_run(citizen, category, moderator):
    message = submit(citizen, category, now=FRIDAY)
    back = datetime(2026, 11, 12, 9, 30, tzinfo=MSK)  # the worker was down for two weeks
    with time_machine.travel(back, tick=False) as clock:
        for minutes in range(0, 120, 15):
            clock.move_to(back + timedelta(minutes=minutes))
            sweep_deadlines()
    # The reminder is pointless after the deadline: only the escalation goes, once.
    assert DeadlineNotice.objects.filter(kind="reminder").count() == 0
    escalation = DeadlineNotice.objects.get(kind="escalation")
    assert escalation.message == message
    assert escalation.due == message.registration_due


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 7, 11, 0, tzinfo=MSK),  # Saturday
        datetime(2026, 11, 4, 11, 0, tzinfo=MSK),  # the holiday
        datetime(2026, 11, 6, 8, 59, tzinfo=MSK),  # a working day, before the notice hour
    ],
)
def test_no_staff_notice_outside_working_hours(citizen, category, moderator, moment):
    submit(citizen, category, now=FRIDAY)
    assert sweep_deadlines(now=moment) == {"reminder": 0, "escalation": 0}
    assert not DeadlineNotice.objects.exists()


def test_resubmission_creates_a_new_deadline_with_its_own_notices(citizen, category, moderator):
    message = submit(citizen, category, now=FRIDAY)
    sweep_deadlines(now=datetime(2026, 11, 6, 10, 0, tzinfo=MSK))
    assert DeadlineNotice.objects.filter(kind="escalation").count() == 1
    obscene = RejectionReason.objects.get(code="obscene")
    services.message_reject(message=message, actor=moderator, reasons=[obscene])
    services.message_resubmit(
        message=message,
        actor=citizen,
        text="Исправленный текст",
        now=datetime(2026, 11, 9, 10, 0, tzinfo=MSK),
    )
    message.refresh_from_db()
    assert _local(message.registration_due).date() == date(2026, 11, 12)
    # The old deadline's escalation does not stand in for the new deadline's notices.
    sweep_deadlines(now=datetime(2026, 11, 11, 10, 0, tzinfo=MSK))
    sweep_deadlines(now=datetime(2026, 11, 13, 10, 0, tzinfo=MSK))
    sweep_deadlines(now=datetime(2026, 11, 13, 11, 0, tzinfo=MSK))
    notices = list(DeadlineNotice.objects.order_by("created_at").values_list("kind", "due"))
    assert [kind for kind, _ in notices] == ["escalation", "reminder", "escalation"]
    assert notices[1][1] == notices[2][1] == message.registration_due


def test_a_message_that_left_the_state_gets_no_notice(citizen, category, moderator):
    message = submit(citizen, category, now=FRIDAY)
    services.message_register(message=message, actor=moderator, now=datetime(2026, 11, 3, 8, 0, tzinfo=MSK))
    # Registered in time: no registration reminder, no escalation, even if asked directly.
    assert sweep_deadlines(now=datetime(2026, 11, 6, 10, 0, tzinfo=MSK)) == {"reminder": 0, "escalation": 0}
    assert (
        deadline_notice_send(
            message=message,
            stage="registration",
            kind="escalation",
            now=datetime(2026, 11, 6, 10, 0, tzinfo=MSK),
        )
        is None
    )


def test_sending_the_same_notice_twice_writes_it_once(citizen, category, moderator):
    message = submit(citizen, category, now=FRIDAY)
    later = datetime(2026, 11, 6, 10, 0, tzinfo=MSK)
    first = deadline_notice_send(message=message, stage="registration", kind="escalation", now=later)
    second = deadline_notice_send(message=message, stage="registration", kind="escalation", now=later)
    assert first is not None and second is None
    assert MessageEvent.objects.filter(message=message, kind="escalated").count() == 1
