"""The emails themselves (Russian, text + HTML, absolute links), the staff digest, and the outbox admin."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory.models import RejectionReason
from messages import services
from messages.deadlines import deadline_notice_send
from messages.models import Notification, StaffDigest
from messages.notifications import DIGEST_KINDS, EMAIL_KINDS, build_email, send_staff_digests
from messages.tasks import deliver_outbox
from tests.factories import answered, registered, submit

MSK = ZoneInfo("Europe/Moscow")
SITE = "https://zarechny.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _mail(notification):
    email = build_email(notification)
    html = dict((mime, body) for body, mime in email.alternatives)["text/html"]
    return email, email.body, html


def _only(kind, **filters):
    return Notification.objects.select_related("recipient", "message", "event").get(kind=kind, **filters)


def test_every_kind_is_either_mailed_or_digest_only():
    assert set(Notification.Kind.values) == EMAIL_KINDS | DIGEST_KINDS
    assert not EMAIL_KINDS & DIGEST_KINDS
    assert set(DIGEST_KINDS) == {"assigned"}


def test_received_names_the_number_and_the_registration_deadline(citizen, category):
    message = submit(citizen, category, now=datetime(2026, 10, 30, 12, 0, tzinfo=MSK))
    email, text, html = _mail(_only("received"))
    assert email.subject == f"Сообщение № {message.number} получено"
    assert email.to == [citizen.email]
    for body in (text, html):
        assert message.number in body
        assert "5 ноября 2026" in body  # three working days, the 4th of November a holiday
        assert f"{SITE}/m/{message.number}/" in body
    assert "Здравствуйте, Алиса Иванова!" in text
    assert '<html lang="ru">' in html
    assert email.extra_headers["Message-ID"] == f"<notification-{_only('received').pk}@zarechny.example>"


def test_registered_names_the_organisation_and_answer_deadline(citizen, category, moderator):
    message = registered(citizen, category, moderator)
    email, text, html = _mail(_only("registered"))
    assert "зарегистрировано и опубликовано" in email.subject
    assert "Администрация" in text and "п. 6.2" in text
    assert f'href="{SITE}/m/{message.number}/"' in html


def test_rejected_lists_each_reason_citizen_text_and_how_to_resubmit(citizen, category, moderator):
    message = submit(citizen, category)
    reason = RejectionReason.objects.get(code="obscene")
    reason.citizen_text = "Уберите, пожалуйста, нецензурные выражения & отправьте снова."
    reason.save()
    services.message_reject(
        message=message, actor=moderator, reasons=[reason], comment="Слово во второй строке"
    )
    email, text, html = _mail(_only("rejected"))
    assert email.subject == f"Отказано в регистрации сообщения № {message.number}"
    assert "Уберите, пожалуйста, нецензурные выражения & отправьте снова." in text  # no HTML escaping in text
    assert "нецензурные выражения &amp; отправьте" in html
    assert "Слово во второй строке" in text
    assert "Исправить и отправить повторно" in text and "п. 5.7" in text
    assert f"{SITE}/m/{message.number}/" in text


def test_rejected_as_duplicate_points_to_the_original(citizen, other_citizen, category, moderator):
    original = registered(other_citizen, category, moderator)
    message = submit(citizen, category)
    duplicate = RejectionReason.objects.get(code="duplicate")
    services.message_reject(message=message, actor=moderator, reasons=[duplicate], duplicate_of=original)
    _, text, html = _mail(_only("rejected"))
    assert f"{SITE}/m/{original.number}/" in text
    assert f'href="{SITE}/m/{original.number}/#support"' in html
    assert "Исправить и отправить повторно" not in text


def test_answered_carries_the_answer_and_a_rate_link(citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    email, text, html = _mail(_only("answered"))
    assert email.subject == f"Получен ответ на сообщение № {message.number}"
    assert "Яма заделана." in text and "вопрос решён" in text
    assert f"{SITE}/m/{message.number}/#rate" in text
    assert f'href="{SITE}/m/{message.number}/#rate"' in html


def test_rework_goes_to_the_author_and_to_the_answerers(citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Яму засыпали песком")
    email, text, _ = _mail(_only("rework"))
    assert email.to == [citizen.email] and "направлено на доработку" in email.subject
    assert "Яму засыпали песком" in text
    staff = Notification.objects.filter(kind="rework_assigned").select_related(
        "recipient", "message", "event"
    )
    # issue 13.9: the organisation's executor answers; its moderator of the category does not
    assert sorted(n.recipient.email for n in staff) == ["executor@adm.ru"]
    email, text, _ = _mail(staff[0])
    assert "Яму засыпали песком" in text and "п. 7.3" in text


def test_closed_unrated(settings, citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    services.message_close_unrated(message=message, now=message.answered_at + timedelta(days=31))
    email, text, _ = _mail(_only("closed"))
    assert email.subject == f"Сообщение № {message.number} закрыто"
    assert f"в течение {settings.RATING_WINDOW_DAYS} дн." in text


def test_reassign_request_reaches_moderators_with_the_reason(
    citizen, category, moderator, executor, supervisor
):
    message = registered(citizen, category, moderator)
    services.message_request_reassign(message=message, actor=executor, comment="Это дорога области")
    notices = Notification.objects.filter(kind="reassign_requested").select_related(
        "recipient", "message", "event"
    )
    assert sorted(n.recipient.email for n in notices) == ["moderator@adm.ru", "supervisor@city.ru"]
    email, text, _ = _mail(notices[0])
    assert "Это дорога области" in text and message.number in email.subject


def test_reminder_and_escalation_texts(citizen, category, moderator, supervisor):
    message = submit(citizen, category, now=datetime(2026, 10, 30, 12, 0, tzinfo=MSK))
    deadline_notice_send(
        message=message, stage="registration", kind="reminder", now=datetime(2026, 11, 3, 9, 5, tzinfo=MSK)
    )
    email, text, _ = _mail(_only("reminder"))
    assert email.subject == f"Срок регистрации сообщения № {message.number} истекает 5 ноября"
    assert email.to == ["moderator@adm.ru"]
    assert "5 ноября 2026" in text and "п. 5.4" in text
    deadline_notice_send(
        message=message, stage="registration", kind="escalation", now=datetime(2026, 11, 6, 9, 5, tzinfo=MSK)
    )
    escalations = Notification.objects.filter(kind="escalation").select_related(
        "recipient", "message", "event"
    )
    assert sorted(n.recipient.email for n in escalations) == ["moderator@adm.ru", "supervisor@city.ru"]
    email, text, _ = _mail(escalations[0])
    assert email.subject == f"Нарушен срок регистрации: сообщение № {message.number}"
    assert "истёк 5 ноября 2026" in text


def test_every_mailed_kind_has_its_three_templates():
    from django.template.loader import get_template

    for kind in [*EMAIL_KINDS, "digest"]:
        for suffix in ("subject.txt", "txt", "html"):
            get_template(f"emails/{kind}.{suffix}")


# --- the staff digest ------------------------------------------------------------------------------

MONDAY_9 = datetime(2026, 11, 9, 9, 0, tzinfo=MSK)


def test_digest_lists_each_officials_queue_once_a_day(citizen, category, moderator, executor, supervisor):
    waiting = submit(citizen, category, now=datetime(2026, 11, 6, 15, 0, tzinfo=MSK))
    to_answer = registered(citizen, category, moderator)
    mail.outbox.clear()
    assert send_staff_digests(now=MONDAY_9) == {"sent": 3, "failed": 0, "empty": 0}
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"moderator@adm.ru", "executor@adm.ru", "supervisor@city.ru"}
    executor_mail = by_recipient["executor@adm.ru"]
    assert to_answer.number in executor_mail.body and waiting.number not in executor_mail.body
    assert "Ждут ответа: 1" in executor_mail.body
    moderator_mail = by_recipient["moderator@adm.ru"]
    # issue 13.9: the moderator's queue is the registration queue; the executor owes the answer
    assert waiting.number in moderator_mail.body and to_answer.number not in moderator_mail.body
    assert f"{SITE}/office/" in moderator_mail.body
    assert "html" in moderator_mail.alternatives[0][1]
    # Again the same day (a second worker, a re-run): nothing more.
    assert send_staff_digests(now=MONDAY_9 + timedelta(hours=1))["sent"] == 0
    assert len(mail.outbox) == 3
    assert StaffDigest.objects.filter(day=date(2026, 11, 9), status="sent").count() == 3


@pytest.mark.parametrize(
    "day", [datetime(2026, 11, 4, 9, 0, tzinfo=MSK), datetime(2026, 11, 8, 9, 0, tzinfo=MSK)]
)
def test_no_digest_on_a_holiday_or_weekend(citizen, category, moderator, day):
    submit(citizen, category)
    assert send_staff_digests(now=day) == {"sent": 0, "failed": 0, "empty": 0}
    assert not StaffDigest.objects.exists()


def test_no_digest_for_an_empty_queue(moderator, executor):
    assert send_staff_digests(now=MONDAY_9) == {"sent": 0, "failed": 0, "empty": 2}
    assert mail.outbox == []


# --- the admin -------------------------------------------------------------------------------------


def _failed_row(citizen, category):
    submit(citizen, category)
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(
        email_status="failed", attempts=6, last_error="550 no such user"
    )
    return row


def test_admin_lists_failed_emails_and_retries_them(client, admin_user, citizen, category):
    row = _failed_row(citizen, category)
    client.force_login(admin_user)
    changelist = reverse("admin:citizen_messages_notification_changelist")
    submit(citizen, category, text="Второе, отправлено")
    Notification.objects.exclude(pk=row.pk).update(email_status="sent")
    response = client.get(changelist, {"problem": "failed"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "550 no such user" in body
    assert response.context["cl"].result_count == 1
    response = client.post(changelist, {"action": "retry", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.email_status, row.attempts, row.last_error) == ("pending", 0, "")
    deliver_outbox()
    row.refresh_from_db()
    assert row.email_status == "sent"
    assert [m.to for m in mail.outbox] == [[citizen.email]]  # the retried row only, once


def test_admin_retry_of_a_row_being_sent_changes_nothing_and_says_so(client, admin_user, citizen, category):
    submit(citizen, category)
    row = Notification.objects.get()
    lease = timezone.now() + timedelta(minutes=2)
    Notification.objects.filter(pk=row.pk).update(email_status="sending", attempts=1, lease_until=lease)
    client.force_login(admin_user)
    changelist = reverse("admin:citizen_messages_notification_changelist")
    response = client.post(changelist, {"action": "retry", "_selected_action": [row.pk]}, follow=True)
    assert "Не тронуто (не в состоянии «не отправлено»): 1." in response.content.decode()
    row.refresh_from_db()
    assert (row.email_status, row.attempts, row.lease_until) == ("sending", 1, lease)


def test_admin_outbox_refuses_citizens_and_anonymous(client, citizen, category):
    row = _failed_row(citizen, category)
    changelist = reverse("admin:citizen_messages_notification_changelist")
    assert client.get(changelist).status_code == 302
    client.force_login(citizen)
    response = client.post(changelist, {"action": "retry", "_selected_action": [row.pk]})
    assert response.status_code == 302 and "/login/" in response["Location"]
    row.refresh_from_db()
    assert row.email_status == "failed"


def test_admin_outbox_changelist_queries_do_not_grow(client, admin_user, citizen, category):
    client.force_login(admin_user)
    changelist = reverse("admin:citizen_messages_notification_changelist")
    submit(citizen, category)
    submit(citizen, category)
    client.get(changelist)
    with CaptureQueriesContext(connection) as few:
        assert client.get(changelist).status_code == 200
    for _ in range(18):
        submit(citizen, category)
    with CaptureQueriesContext(connection) as many:
        assert client.get(changelist).status_code == 200
    assert len(many) == len(few)


def test_admin_message_page_is_read_only_with_events(client, admin_user, citizen, category, moderator):
    message = registered(citizen, category, moderator)
    client.force_login(admin_user)
    response = client.get(reverse("admin:citizen_messages_message_change", args=[message.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "зарегистрировано и опубликовано" in body  # the event inline
    assert 'name="_save"' not in body
