"""Following a public message (issue 15.5): the service, the follower's e-mails at each public step, their
delivery exactly once through the real outbox, and the signed unfollow link.

The people: `citizen` (Алиса) is the author of every message here; `other_citizen` (Борис) and a third
citizen follow them.
"""

from datetime import date, timedelta
from email.utils import parseaddr

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core import mail, signing
from django.core.mail.backends import locmem
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import account_delete
from directory.models import RejectionReason
from messages import selectors, services
from messages.deadlines import deadline_notice_send
from messages.errors import MessageActionError
from messages.models import Message, MessageEvent, MessageFollow, Notification, Rating, State
from messages.notifications import FOLLOW_KINDS, build_email
from messages.tasks import deliver_outbox
from messages.unfollow import MAX_AGE, SALT, UnfollowLinkError, read_unfollow_token, unfollow_token
from tests.factories import UserFactory, answered, registered, submit

pytestmark = pytest.mark.django_db
SITE = "https://zarechny.example"
Status = Notification.EmailStatus


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def third_citizen(db):
    return UserFactory(email="vera@example.ru", full_name="Вера Сидорова")


def _follow_kinds(**filters):
    return sorted(
        Notification.objects.filter(kind__in=FOLLOW_KINDS, **filters).values_list("recipient__email", "kind")
    )


def _mail(notification):
    email = build_email(notification)
    html = dict((mime, body) for body, mime in email.alternatives)["text/html"]
    return email, email.body, html


# --- the service ---------------------------------------------------------------------------------


def test_follow_is_idempotent_and_the_database_keeps_one_row(citizen, other_citizen, category, moderator):
    message = registered(citizen, category, moderator)
    assert services.message_follow(message=message, user=other_citizen) is True
    assert services.message_follow(message=message, user=other_citizen) is False
    assert services.message_follow(message=message.pk, user=other_citizen) is False
    assert MessageFollow.objects.filter(message=message, user=other_citizen).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFollow.objects.create(message=message, user=other_citizen, created_at=timezone.now())


def test_following_writes_no_event_and_changes_nothing_of_the_message(
    citizen, other_citizen, category, moderator
):
    message = registered(citizen, category, moderator)
    before = (list(message.events.values_list("pk", flat=True)), message.updated_at)
    services.message_follow(message=message, user=other_citizen)
    services.message_unfollow(message=message, user=other_citizen)
    message.refresh_from_db()
    assert (list(message.events.values_list("pk", flat=True)), message.updated_at) == before


def test_a_message_that_is_not_public_cannot_be_followed(citizen, other_citizen, category, moderator):
    on_moderation = submit(citizen, category)
    rejected = submit(citizen, category)
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    withdrawn = submit(citizen, category)
    services.message_withdraw(message=withdrawn, actor=citizen)
    for message in (on_moderation, rejected, withdrawn):
        with pytest.raises(MessageActionError) as refusal:
            services.message_follow(message=message, user=other_citizen)
        assert refusal.value.code == "wrong_state"
        assert "опубликованным" in str(refusal.value)
    with pytest.raises(MessageActionError) as refusal:
        services.message_follow(message=999999, user=other_citizen)
    assert refusal.value.code == "not_found"
    assert not MessageFollow.objects.exists()


def test_guests_inactive_accounts_and_staff_do_not_follow(
    citizen, other_citizen, category, moderator, executor, admin_user
):
    message = registered(citizen, category, moderator)
    for nobody in (None, AnonymousUser()):
        with pytest.raises(MessageActionError) as refusal:
            services.message_follow(message=message, user=nobody)
        assert refusal.value.code == "auth"
    other_citizen.is_active = False
    other_citizen.save()
    with pytest.raises(MessageActionError) as refusal:
        services.message_follow(message=message, user=other_citizen)
    assert refusal.value.code == "auth"
    for staff in (moderator, executor, admin_user):
        with pytest.raises(MessageActionError) as refusal:
            services.message_follow(message=message, user=staff)
        assert refusal.value.code == "staff"
    assert not MessageFollow.objects.exists()


def test_a_closed_message_is_not_followed_anew(citizen, other_citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=True)
    with pytest.raises(MessageActionError) as refusal:
        services.message_follow(message=message, user=other_citizen)
    assert refusal.value.code == "closed"


def test_the_author_follows_automatically_and_gets_only_their_own_notices(
    citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    assert services.message_follow(message=message, user=citizen) is False  # already: the author
    assert not MessageFollow.objects.exists()
    assert selectors.follows_message(citizen, message) is True
    # A row for the author (an administrator's, say) still never doubles their notices.
    MessageFollow.objects.create(message=message, user=citizen, created_at=timezone.now())
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Яма осталась.")
    assert sorted(Notification.objects.filter(recipient=citizen).values_list("kind", flat=True)) == [
        "answered",
        "received",
        "registered",
        "rework",
    ]
    assert services.message_unfollow(message=message, user=citizen) is True  # the stray row, not the notices


def test_unfollow_ends_only_that_subscription_and_drops_its_pending_emails(
    citizen, other_citizen, third_citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    other = registered(citizen, category, moderator)
    for follower in (other_citizen, third_citizen):
        services.message_follow(message=message, user=follower)
    services.message_follow(message=other, user=other_citizen)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    assert services.message_unfollow(message=message, user=other_citizen) is True
    assert services.message_unfollow(message=message, user=other_citizen) is False
    assert services.message_unfollow(message=999999, user=other_citizen) is False
    statuses = dict(
        Notification.objects.filter(kind="follow_answered").values_list("recipient__email", "email_status")
    )
    assert statuses == {"bob@example.ru": "skipped", "vera@example.ru": "pending"}
    assert set(MessageFollow.objects.values_list("message_id", "user__email")) == {
        (message.pk, "vera@example.ru"),
        (other.pk, "bob@example.ru"),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_follow_clicks_at_once_make_one_row(citizen, other_citizen, category, moderator):
    from django.db import connection

    from tests.messages.test_concurrency import run_at_once

    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL)")
    message = registered(citizen, category, moderator)
    results = run_at_once(
        *[lambda: services.message_follow(message=message.pk, user=other_citizen) for _ in range(4)]
    )
    assert sorted(value for _, value in results) == [False, False, False, True], results
    assert MessageFollow.objects.count() == 1


# --- the follower's e-mails ------------------------------------------------------------------------


def test_followers_get_one_notice_at_each_public_step(
    settings, citizen, other_citizen, third_citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    for follower in (other_citizen, third_citizen):
        services.message_follow(message=message, user=follower)
    both = ["bob@example.ru", "vera@example.ru"]

    services.message_answer(
        message=message,
        actor=executor,
        kind="planned",
        text="Заделаем весной.",
        planned_date=date(2027, 4, 1),
    )
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Яма опасна уже сейчас.")
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано асфальтом.")
    services.message_rate(message=message, actor=citizen, positive=True)
    steps = ["follow_answered", "follow_rework", "follow_answered", "follow_closed"]
    assert _follow_kinds() == sorted((email, kind) for email in both for kind in steps)
    # The author's own notices are as before: nothing doubled, nothing added.
    assert sorted(Notification.objects.filter(recipient=citizen).values_list("kind", flat=True)) == [
        "answered",
        "answered",
        "received",
        "registered",
        "rework",
    ]

    def mail_of(kind, nth=0):
        rows = Notification.objects.filter(kind=kind, recipient=other_citizen).order_by("pk")
        return _mail(rows.select_related("recipient", "message", "event")[nth])

    email, text, html = mail_of("follow_answered")
    assert email.subject == f"Вы следите: дан ответ на сообщение № {message.number}"
    assert email.to == ["bob@example.ru"]
    assert "Здравствуйте, Борис Петров!" in text
    assert "Заделаем весной." in text and "1 апреля 2027" in text
    assert f"{SITE}/m/{message.number}/" in text and "#rate" not in text  # only the author rates
    assert "Заделаем весной." in html and "Оценить ответ" not in html
    email, text, _ = mail_of("follow_answered", 1)
    assert "дан ответ после доработки" in text and "Заделано асфальтом." in text
    email, text, _ = mail_of("follow_rework")
    assert email.subject == f"Вы следите: сообщение № {message.number} направлено на доработку"
    assert "после проверки модератором" in text
    message.refresh_from_db()
    email, text, _ = mail_of("follow_closed")
    assert email.subject == f"Вы следите: сообщение № {message.number} закрыто"
    assert "оценил ответ положительно" in text


def test_closed_without_rating_reaches_the_followers(
    settings, citizen, other_citizen, category, moderator, executor
):
    message = answered(citizen, category, moderator, executor)
    services.message_follow(message=message, user=other_citizen)
    services.message_close_unrated(message=message, now=message.answered_at + timedelta(days=31))
    assert _follow_kinds() == [("bob@example.ru", "follow_closed")]
    row = Notification.objects.select_related("recipient", "message", "event").get(kind="follow_closed")
    _, text, _ = _mail(row)
    assert f"не был оценён в течение {settings.RATING_WINDOW_DAYS} дн." in text


def test_registration_is_mailed_to_a_follower_whose_subscription_predates_it(
    citizen, other_citizen, category, moderator
):
    """Today nobody can follow before publication (the service refuses), so this is the rule for a row that
    exists anyway (an import, a later feature): the registration goes out like every public step."""
    message = submit(citizen, category)
    MessageFollow.objects.create(message=message, user=other_citizen, created_at=timezone.now())
    services.message_register(message=message, actor=moderator)
    row = Notification.objects.select_related("recipient", "message", "event").get(kind="follow_registered")
    email, text, _ = _mail(row)
    assert email.subject == f"Вы следите: сообщение № {message.number} зарегистрировано и опубликовано"
    assert "Администрация" in text and "п. 6.2" in text


def test_no_follow_notice_at_the_steps_that_are_not_public(
    citizen, other_citizen, category, moderator, other_category_moderator, executor, supervisor, world
):
    from tests.factories import OfficialFactory

    OfficialFactory(
        user=UserFactory(email="executor2@kbu.ru"),
        organization=world["kbu"],
        role="executor",
        categories=[category],
    )
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    services.message_request_reassign(message=message, actor=executor, comment="Не наша дорога")
    deadline_notice_send(
        message=message, stage="answer", kind="reminder", now=message.answer_due - timedelta(hours=3)
    )
    deadline_notice_send(
        message=message, stage="answer", kind="escalation", now=message.answer_due + timedelta(days=3)
    )
    services.message_reassign(message=message, actor=moderator, executing_organization=world["kbu"])
    services.message_answer(
        message=message, actor=world["kbu"].officials.get().user, kind="solved", text="Заделано."
    )
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Плохо.")
    rating = Rating.objects.get(message=message)
    services.rating_remarks_review(rating=rating, actor=moderator, decision="publish")
    # Only the answer and the rework: the reassign request, the reminder, the escalation, the reassignment
    # and the remarks review are the staff's business.
    assert _follow_kinds() == [("bob@example.ru", "follow_answered"), ("bob@example.ru", "follow_rework")]


def test_follow_emails_never_name_the_author_nor_carry_unreviewed_remarks(
    citizen, other_citizen, category, moderator, executor
):
    citizen.show_name_publicly = True
    citizen.save()
    message = registered(citizen, category, moderator, show_author_name=True)
    services.message_follow(message=message, user=other_citizen)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    services.message_rate(
        message=message, actor=citizen, positive=False, remarks="Мой телефон 8-900-000-00-00"
    )
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано ещё раз.")
    services.message_close_unrated(message=message, now=timezone.now() + timedelta(days=31))
    rows = Notification.objects.filter(kind__in=FOLLOW_KINDS).select_related("recipient", "message", "event")
    assert rows.count() == 4
    for row in rows:
        email, text, html = _mail(row)
        for body in (email.subject, text, html):
            assert "Алиса" not in body and "Иванова" not in body and "alice@" not in body
            assert "8-900" not in body
            assert "следите" in body


def test_every_follow_email_has_the_unfollow_link_and_the_list_unsubscribe_headers(
    citizen, other_citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    row = Notification.objects.select_related("recipient", "message", "event").get(kind="follow_answered")
    email, text, html = _mail(row)
    token = unfollow_token(user_id=other_citizen.pk, message_id=message.pk)
    link = f"{SITE}/unfollow/{token}/"
    assert f"Перестать следить (одно нажатие, входить на портал не нужно): {link}" in text
    assert f'href="{link}"' in html and '<html lang="ru">' in html
    assert email.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_unfollow_token(token) == (other_citizen.pk, message.pk)
    # The author's e-mail of the same step is unchanged: no unfollow link, no list headers.
    author_row = Notification.objects.select_related("recipient", "message", "event").get(kind="answered")
    email, text, html = _mail(author_row)
    assert "List-Unsubscribe" not in email.extra_headers
    assert "следите" not in text and "unfollow" not in html


# --- delivery: exactly once, and nothing after unfollowing -----------------------------------------


class FlakyBackend(locmem.EmailBackend):
    """The locmem outbox that refuses the first e-mail to each address in `refuse_once` (an SMTP error for
    that one e-mail, not the server: the row is retried later)."""

    refuse_once: set = set()

    def send_messages(self, email_messages):
        for message in email_messages:
            address = parseaddr(message.to[0])[1]
            if address in FlakyBackend.refuse_once:
                FlakyBackend.refuse_once.discard(address)
                import smtplib

                raise smtplib.SMTPRecipientsRefused({address: (450, b"mailbox busy")})
        return super().send_messages(email_messages)


def _run_until_quiet(clock):
    """Delivery runs until nothing is due, moving the clock past each backoff (as the schedule would)."""
    for _ in range(6):
        deliver_outbox()
        due = Notification.objects.filter(email_status=Status.PENDING).order_by("next_attempt_at").first()
        if due is None:
            return
        clock.move_to(due.next_attempt_at + timedelta(seconds=1))
    raise AssertionError("the outbox did not empty")


def test_each_follower_gets_each_step_exactly_once_though_delivery_is_retried(
    settings, citizen, other_citizen, third_citizen, category, moderator, executor
):
    settings.EMAIL_BACKEND = "tests.messages.test_follow.FlakyBackend"
    FlakyBackend.refuse_once = {"bob@example.ru"}
    message = registered(citizen, category, moderator)
    for follower in (other_citizen, third_citizen):
        services.message_follow(message=message, user=follower)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
        services.message_rate(message=message, actor=citizen, positive=False, remarks="Нет.")
        services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
        services.message_rate(message=message, actor=citizen, positive=True)
        first = deliver_outbox()
        assert first["retry"] == 1  # Борис's first e-mail was refused once
        _run_until_quiet(clock)
        # Runs after everything went out send nothing more.
        assert deliver_outbox()["sent"] == 0
    followers = ("bob@example.ru", "vera@example.ru")
    sent = [m.extra_headers["Message-ID"] for m in mail.outbox if m.to[0] in followers]
    assert len(sent) == len(set(sent)) == 8  # 2 followers × 4 steps, each once
    rows = Notification.objects.filter(kind__in=FOLLOW_KINDS, recipient__email__in=followers)
    assert sorted(sent) == sorted(
        f"<notification-{pk}@zarechny.example>" for pk in rows.values_list("pk", flat=True)
    )
    assert [m.to[0] for m in mail.outbox].count(citizen.email) == 5  # received, registered, 2 answers, rework
    assert not Notification.objects.exclude(email_status__in=[Status.SENT, Status.SKIPPED]).exists()
    retried = Notification.objects.get(recipient=other_citizen, kind="follow_answered", attempts=2)
    assert retried.email_status == Status.SENT


def test_a_second_worker_during_a_send_does_not_mail_a_follower_twice(
    citizen, other_citizen, category, moderator, executor, settings
):
    from tests.messages.test_tasks import InterruptingBackend

    settings.EMAIL_BACKEND = "tests.messages.test_tasks.InterruptingBackend"
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    Notification.objects.update(email_status=Status.SKIPPED)  # only the step below is due
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    seen = {}
    InterruptingBackend.during_send = lambda: seen.setdefault("second", deliver_outbox()["sent"])
    try:
        assert deliver_outbox()["sent"] == 2  # the author's and the follower's
    finally:
        InterruptingBackend.during_send = None
    # The second run finds the first run's batch leased (the row being sent, and the one after it).
    assert seen == {"second": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.ru", "bob@example.ru"]


def test_unfollowed_after_the_step_nothing_goes_out(citizen, other_citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    Notification.objects.update(email_status=Status.SKIPPED)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    # The subscription goes some way that skips the service's clean-up (a step racing the unfollow): the
    # delivery checks it again before sending.
    MessageFollow.objects.filter(user=other_citizen).delete()
    stats = deliver_outbox()
    assert (stats["sent"], stats["skipped"]) == (1, 1)
    assert [m.to[0] for m in mail.outbox] == ["alice@example.ru"]
    assert Notification.objects.get(kind="follow_answered").email_status == Status.SKIPPED


def test_a_message_no_longer_public_is_not_mailed_about(
    citizen, other_citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    Notification.objects.update(email_status=Status.SKIPPED)
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    # No transition leads out of the public states today; should one (or an administrator) ever take the
    # message off the public pages, its followers hear nothing more.
    Message.objects.filter(pk=message.pk).update(state=State.WITHDRAWN)
    deliver_outbox()
    assert Notification.objects.get(kind="follow_answered").email_status == Status.SKIPPED
    assert "bob@example.ru" not in [m.to[0] for m in mail.outbox]
    # And a step recorded on it now would queue nothing for them.
    from messages.services.common import notify_followers

    event = MessageEvent.objects.filter(message=message).select_related("message").last()
    assert notify_followers(event, Notification.Kind.FOLLOW_ANSWERED) == []


def test_a_deleted_account_follows_nothing_and_gets_nothing(
    citizen, other_citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    services.message_follow(message=message, user=other_citizen)
    account_delete(user=other_citizen)
    assert not MessageFollow.objects.exists()
    services.message_answer(message=message, actor=executor, kind="solved", text="Заделано.")
    assert _follow_kinds() == []


# --- the signed unfollow link ----------------------------------------------------------------------


def test_the_unfollow_token_names_one_person_and_one_message():
    token = unfollow_token(user_id=7, message_id=42)
    assert read_unfollow_token(token) == (7, 42)
    assert "/" not in token and "?" not in token and "#" not in token  # one path segment


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: "W1s4LDQyXQ" + t[t.index(":") :],  # another payload under the same signature
        lambda t: t[: len(t) // 2],  # cut by a mail client
        lambda t: "",
        lambda t: "x" * 600,
        lambda t: signing.dumps([7, 42], salt="some.other.feature"),  # signed, but not for this
        lambda t: signing.dumps({"u": 7, "m": 42}, salt=SALT),  # our salt, not our shape
        lambda t: signing.dumps([7, "42"], salt=SALT),
        lambda t: signing.dumps([0, 42], salt=SALT),
        lambda t: signing.dumps([True, 42], salt=SALT),
    ],
)
def test_a_tampered_or_foreign_token_is_refused(tamper):
    with pytest.raises(UnfollowLinkError) as refusal:
        read_unfollow_token(tamper(unfollow_token(user_id=7, message_id=42)))
    assert refusal.value.code == "invalid"


def test_an_old_token_expires():
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        token = unfollow_token(user_id=7, message_id=42)
    with time_machine.travel(moment + MAX_AGE - timedelta(minutes=1), tick=False):
        assert read_unfollow_token(token) == (7, 42)
    with (
        time_machine.travel(moment + MAX_AGE + timedelta(minutes=1), tick=False),
        pytest.raises(UnfollowLinkError) as refusal,
    ):
        read_unfollow_token(token)
    assert refusal.value.code == "expired"


def test_notification_kinds_of_followers_are_mailed_with_their_templates():
    from django.template.loader import get_template

    from messages.notifications import EMAIL_KINDS

    assert FOLLOW_KINDS <= EMAIL_KINDS
    for kind in FOLLOW_KINDS:
        for suffix in ("subject.txt", "txt", "html"):
            get_template(f"emails/{kind}.{suffix}")
    assert MessageEvent.Kind.RATED_POSITIVE in MessageEvent.PUBLIC_KINDS
