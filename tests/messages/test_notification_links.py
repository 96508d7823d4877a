"""Issue 10.5: staff e-mails link to the back-office page where the official acts, and the link opens."""

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from messages import services
from messages.deadlines import deadline_notice_send
from messages.models import Notification
from messages.notifications import build_email, send_staff_digests
from tests.factories import answered, registered, submit

MSK = ZoneInfo("Europe/Moscow")
SITE = "https://zarechny.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _links(kind):
    """(recipient, links in the text part, links in the HTML part) of every notice of `kind`."""
    rows = Notification.objects.filter(kind=kind).select_related("recipient", "message", "event")
    result = []
    for row in rows:
        email = build_email(row)
        html = dict((mime, body) for body, mime in email.alternatives)["text/html"]
        result.append(
            (row.recipient, re.findall(r"https?://\S+/", email.body), re.findall(r'href="([^"]+)"', html))
        )
    assert result, kind
    return result


def _assert_acts_there(client, kind, expected_path):
    for recipient, text_links, html_links in _links(kind):
        assert f"{SITE}{expected_path}" in text_links, (recipient, text_links)
        assert f"{SITE}{expected_path}" in html_links, (recipient, html_links)
        assert not [link for link in text_links + html_links if "/m/" in link and "/office/" not in link]
        client.force_login(recipient)
        assert client.get(urlsplit(f"{SITE}{expected_path}").path).status_code == 200, recipient


def test_registration_reminder_and_escalation_open_the_review_page(
    client, citizen, category, moderator, supervisor
):
    message = submit(citizen, category, now=datetime(2026, 10, 30, 12, 0, tzinfo=MSK))
    deadline_notice_send(
        message=message, stage="registration", kind="reminder", now=datetime(2026, 11, 3, 9, 5, tzinfo=MSK)
    )
    deadline_notice_send(
        message=message, stage="registration", kind="escalation", now=datetime(2026, 11, 6, 9, 5, tzinfo=MSK)
    )
    _assert_acts_there(client, "reminder", f"/office/m/{message.number}/")
    _assert_acts_there(client, "escalation", f"/office/m/{message.number}/")


def test_answer_reminder_opens_the_answer_page(client, citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    deadline_notice_send(
        message=message, stage="answer", kind="reminder", now=message.answer_due.replace(hour=9)
    )
    _assert_acts_there(client, "reminder", f"/office/m/{message.number}/answer/")


def test_rework_opens_the_answer_page(client, citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Не сделано")
    _assert_acts_there(client, "rework_assigned", f"/office/m/{message.number}/answer/")


def test_reassign_request_opens_the_page_with_the_reassign_form(
    client, citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    services.message_request_reassign(message=message, actor=executor, comment="Не наша дорога")
    _assert_acts_there(client, "reassign_requested", f"/office/m/{message.number}/")
    assert 'id="reassign-heading"' in client.get(f"/office/m/{message.number}/").content.decode()


def test_digest_links_each_message_to_where_it_is_handled(client, citizen, category, moderator, executor):
    waiting = submit(citizen, category, now=datetime(2026, 11, 6, 15, 0, tzinfo=MSK))
    to_answer = registered(citizen, category, moderator)
    mail.outbox.clear()
    send_staff_digests(now=datetime(2026, 11, 9, 9, 0, tzinfo=MSK))
    by_recipient = {m.to[0]: m for m in mail.outbox}
    executor_mail = by_recipient[executor.email]
    html = executor_mail.alternatives[0][0]
    for body in (executor_mail.body, html):
        assert f"{SITE}/office/m/{to_answer.number}/answer/" in body
        assert f"{SITE}/m/" not in body
    moderator_mail = by_recipient[moderator.email]
    assert f"{SITE}/office/m/{waiting.number}/" in moderator_mail.body
    client.force_login(executor)
    assert client.get(f"/office/m/{to_answer.number}/answer/").status_code == 200
    client.force_login(moderator)
    assert client.get(f"/office/m/{waiting.number}/").status_code == 200


def test_the_domain_writes_the_address_the_portal_serves():
    """`message_path` is the one place the domain writes a message's public address (issue 12.3): the
    domain may not reverse the portal's URL name, so this keeps the two equal."""
    from django.urls import reverse

    from messages.models import Message, message_path

    assert reverse("portal:message", kwargs={"number": "2026-000123"}) == message_path("2026-000123")
    assert Message(number="2026-000123").get_absolute_url() == message_path("2026-000123")
