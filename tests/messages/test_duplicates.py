"""§4.4 duplicates in the core (issue 13.3): only a PUBLIC message can be the original, and the author's
e-mail says in plain words what happened — refused as a repeat, never «удалено» — and leads to «Поддержать»."""

import io

import pytest
from django.core.management import call_command

from directory.models import RejectionReason
from messages import services
from messages.errors import MessageActionError
from messages.models import PUBLIC_STATES, Notification, State
from messages.notifications import build_email
from tests.factories import answered, registered, submit

SITE = "https://zarechny.example"
NON_PUBLIC = [state for state in State.values if state not in PUBLIC_STATES]


def _in_state(state, author, category, moderator, executor):
    """A message of `author` in `state`, reached through the services only."""
    if state == State.REGISTERED:
        return registered(author, category, moderator)
    if state in (State.ANSWERED, State.REWORK, State.CLOSED):
        message = answered(author, category, moderator, executor)
        if state != State.ANSWERED:
            services.message_rate(
                message=message, actor=author, positive=state == State.CLOSED, remarks="Не то"
            )
    else:
        message = submit(author, category)
        if state == State.REJECTED:
            reasons = list(RejectionReason.objects.filter(code="obscene"))
            services.message_reject(message=message, actor=moderator, reasons=reasons)
        elif state == State.WITHDRAWN:
            services.message_withdraw(message=message, actor=author)
    message.refresh_from_db()
    return message


def test_every_state_is_either_public_or_tested_below():
    """A new state must be decided here: it is either public (§4.8) or in the non-public list."""
    assert set(NON_PUBLIC) == {State.SUBMITTED, State.REJECTED, State.WITHDRAWN}


@pytest.mark.parametrize("state", NON_PUBLIC)
def test_duplicate_of_a_message_in_any_non_public_state_is_refused(
    citizen, other_citizen, category, moderator, executor, state
):
    """§4.4: the author is sent to the original to follow and support it: a non-public one cannot be it."""
    original = _in_state(state, other_citizen, category, moderator, executor)
    assert original.state == state
    message = submit(citizen, category)
    with pytest.raises(MessageActionError) as error:
        services.message_reject(
            message=message,
            actor=moderator,
            reasons=list(RejectionReason.objects.filter(code="duplicate")),
            duplicate_of=original,
        )
    assert error.value.field == "duplicate_of"
    message.refresh_from_db()
    assert message.state == State.SUBMITTED and message.duplicate_of is None
    assert not Notification.objects.filter(message=message, kind="rejected").exists()


@pytest.mark.parametrize("state", PUBLIC_STATES)
def test_duplicate_of_a_message_in_any_public_state_is_accepted(
    citizen, other_citizen, category, moderator, executor, state
):
    """§4.4: every public state can be the original (it is open to the author and can be supported)."""
    original = _in_state(state, other_citizen, category, moderator, executor)
    assert original.state == state
    message = submit(citizen, category)
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=list(RejectionReason.objects.filter(code="duplicate")),
        duplicate_of=original,
    )
    message.refresh_from_db()
    assert message.state == State.REJECTED and message.duplicate_of == original


def test_the_authors_email_says_refused_as_a_repeat_never_deleted(
    settings, reference_data, citizen, other_citizen
):
    """§4.4, §5.7: subject and body say «не зарегистрировано: повтор сообщения № …», which is being handled;
    the reason's text as the fixtures seed it no longer says «удалено»; the link opens the original at
    «Поддержать»."""
    from directory.models import Category, Official

    settings.SITE_URL = SITE
    category = Category.objects.get(key="potholes")
    moderator = (
        Official.objects.filter(role="moderator", categories=category).select_related("user").first().user
    )
    original = registered(other_citizen, category, moderator)
    message = submit(citizen, category)
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=[RejectionReason.objects.get(code="duplicate")],
        comment="Та же яма, что и в исходном",
        duplicate_of=original,
    )
    notification = Notification.objects.select_related("recipient", "message", "event").get(kind="rejected")
    email = build_email(notification)
    html = dict((mime, body) for body, mime in email.alternatives)["text/html"]
    assert (
        email.subject
        == f"Сообщение № {message.number} не зарегистрировано: повтор сообщения № {original.number}"
    )
    for body in (email.body, html):
        assert "удал" not in body.lower()
        assert "не зарегистрировано" in body and "уже рассматривается" in body
        assert "Поддерж" in body and "Та же яма, что и в исходном" in body
    assert f"{SITE}/m/{original.number}/#support" in email.body
    assert f'href="{SITE}/m/{original.number}/#support"' in html
    assert "Исправить" not in email.body


def test_the_duplicate_reason_text_is_corrected_by_a_migration_only_where_untouched(reference_data):
    """The seeded «удалено как повторяющееся» becomes «не зарегистрировано»; an administrator's own text stays."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("directory.migrations.0003_duplicate_reason_not_deleted")
    reason = RejectionReason.objects.get(code="duplicate")
    assert "удал" not in reason.citizen_text  # the fixtures seed the new text
    RejectionReason.objects.filter(pk=reason.pk).update(citizen_text=migration.OLD)
    migration.forwards(apps, None)
    reason.refresh_from_db()
    assert reason.citizen_text == migration.NEW
    assert reason.history.first().history_change_reason.startswith("§4.4")
    RejectionReason.objects.filter(pk=reason.pk).update(citizen_text="Свой текст администратора")
    migration.forwards(apps, None)
    reason.refresh_from_db()
    assert reason.citizen_text == "Свой текст администратора"


def test_bootstrap_check_sees_no_difference_for_the_reason(reference_data):
    """The fixture and the migrated text agree, so `bootstrap --check` reports nothing for the reason."""
    out = io.StringIO()
    call_command("bootstrap", check=True, stdout=out)
    assert "duplicate" not in out.getvalue()
