import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from directory.models import RejectionReason
from messages import services
from messages.errors import MessageActionError
from messages.models import Answer, Message, MessageEvent, Notification, Rating, State, Support
from tests.factories import answered, processed_photos, registered, submit

MSK = ZoneInfo("Europe/Moscow")
pytestmark = pytest.mark.django_db


def reasons(*codes):
    return list(RejectionReason.objects.filter(code__in=codes))


def kinds(message):
    return list(message.events.order_by("id").values_list("kind", flat=True))


# --- submit -----------------------------------------------------------------------------------------


def test_photos_are_stored_in_the_private_folder(citizen, category, settings):
    message = submit(citizen, category, photos=processed_photos(1))
    photo = message.photos.get()
    assert photo.image.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert photo.thumbnail.storage.exists(photo.thumbnail.name)
    with pytest.raises(ValueError):
        photo.image.url  # noqa: B018 - no public URL exists for a private file


def test_submit_assigns_number_deadline_event_and_notice(citizen, category):
    now = datetime(2025, 3, 14, 23, 59, tzinfo=MSK)  # Friday night
    message = submit(citizen, category, now=now, photos=processed_photos(2))
    assert message.state == State.SUBMITTED
    assert message.number == "2025-000001"
    # §5.4: counted from the next day: Mon 17, Tue 18, Wed 19 March.
    assert timezone.localtime(message.registration_due) == datetime(
        2025, 3, 19, 23, 59, 59, 999999, tzinfo=MSK
    )
    assert message.photos.count() == 2
    assert kinds(message) == [MessageEvent.Kind.SUBMITTED]
    notice = Notification.objects.get(message=message)
    assert (notice.recipient, notice.kind) == (citizen, Notification.Kind.RECEIVED)


def test_numbers_run_per_year(citizen, category):
    first = submit(citizen, category, now=datetime(2025, 12, 31, 23, 0, tzinfo=MSK))
    second = submit(citizen, category, now=datetime(2026, 1, 1, 0, 30, tzinfo=MSK))
    third = submit(citizen, category, now=datetime(2026, 1, 2, 10, 0, tzinfo=MSK))
    assert [first.number, second.number, third.number] == ["2025-000001", "2026-000001", "2026-000002"]


def test_submit_right_before_new_year_holidays(citizen, category):
    message = submit(citizen, category, now=datetime(2025, 12, 30, 18, 0, tzinfo=MSK))
    # 31.12.2025 and 1–11.01.2026 are days off: 12, 13, 14 January.
    assert timezone.localtime(message.registration_due).date() == date(2026, 1, 14)


def test_same_form_token_twice_creates_one_message(citizen, category):
    token = uuid.uuid4()
    first = submit(citizen, category, client_token=token)
    second = submit(citizen, category, client_token=token)
    assert first.pk == second.pk
    assert Message.objects.count() == 1


def test_submit_refuses_anonymous_and_bad_input(citizen, category):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(MessageActionError):
        submit(AnonymousUser(), category)
    with pytest.raises(MessageActionError) as error:
        submit(citizen, category, text="   ")
    assert error.value.field == "text"
    with pytest.raises(MessageActionError) as error:
        services.message_submit(
            author=citizen,
            category=category,
            text="x",
            occurred_at=timezone.now() + timedelta(days=2),
            address="a",
        )
    assert error.value.field == "occurred_at"
    category.is_active = False
    category.save()
    with pytest.raises(MessageActionError):
        submit(citizen, category)
    assert Message.objects.count() == 0


def test_fifth_photo_is_refused(citizen, category):
    photos = processed_photos(4) + processed_photos(1)
    with pytest.raises(MessageActionError) as error:
        submit(citizen, category, photos=photos)
    assert error.value.field == "photos"
    assert Message.objects.count() == 0


def test_failed_submission_leaves_no_files(citizen, category, settings, monkeypatch):
    from messages.services import citizen as svc

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(svc, "record_event", boom)
    with pytest.raises(RuntimeError):
        submit(citizen, category, photos=processed_photos(2))
    location = settings.PRIVATE_MEDIA_ROOT
    import os

    files = [f for _, _, names in os.walk(location) for f in names]
    assert files == []
    assert Message.objects.count() == 0


# --- register / reject / resubmit -------------------------------------------------------------------


def test_register_publishes_routes_and_sets_answer_deadline(citizen, category, moderator, executor, world):
    message = submit(citizen, category)
    now = datetime(2025, 4, 30, 10, 0, tzinfo=MSK)
    services.message_register(message=message, actor=moderator, now=now)
    message.refresh_from_db()
    assert message.state == State.REGISTERED
    assert message.executing_organization == world["administration"]
    # §6.2: 10 working days over the May holidays 2025 → 20 May.
    assert timezone.localtime(message.answer_due).date() == date(2025, 5, 20)
    notices = Notification.objects.filter(event__kind="registered")
    assert {(n.recipient.email, n.kind) for n in notices} == {
        (citizen.email, "registered"),
        (executor.email, "assigned"),
        # issue 13.9: not the moderator — the organisation has an executor of the category
    }


def test_register_to_participating_organisation(citizen, category, moderator, other_org_executor, world):
    message = submit(citizen, category)
    services.message_register(message=message, actor=moderator, executing_organization=world["kbu"])
    message.refresh_from_db()
    assert message.executing_organization == world["kbu"]


def test_register_refused_where_nobody_can_answer(citizen, category, moderator, world):
    message = submit(citizen, category)
    with pytest.raises(MessageActionError) as error:
        services.message_register(message=message, actor=moderator, executing_organization=world["kbu"])
    assert error.value.field == "executing_organization"
    message.refresh_from_db()
    assert message.state == State.SUBMITTED
    assert kinds(message) == ["submitted"]


def test_register_refused_to_organisation_outside_category(citizen, category, moderator, world):
    from tests.factories import OrganizationFactory

    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_register(
            message=message, actor=moderator, executing_organization=OrganizationFactory()
        )


def test_register_with_category_correction(citizen, category, supervisor, world, other_category_moderator):
    message = submit(citizen, category)
    services.message_register(message=message, actor=supervisor, category=world["lighting"])
    message.refresh_from_db()
    assert message.category == world["lighting"]


@pytest.mark.parametrize("who", ["citizen", "other_category_moderator", "executor", "other_org_executor"])
def test_register_refused_to_wrong_people(request, citizen, category, moderator, who):
    actor = request.getfixturevalue(who)
    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_register(message=message, actor=actor)
    message.refresh_from_db()
    assert message.state == State.SUBMITTED


def test_register_twice_is_refused(citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError) as error:
        services.message_register(message=message, actor=moderator)
    assert error.value.code == "wrong_state"
    assert kinds(message) == ["submitted", "registered"]


def test_reject_with_reasons_notifies_author(citizen, category, moderator):
    message = submit(citizen, category)
    services.message_reject(
        message=message, actor=moderator, reasons=reasons("obscene"), comment="Уберите мат"
    )
    message.refresh_from_db()
    assert message.state == State.REJECTED
    assert [r.code for r in message.rejection_reasons.all()] == ["obscene"]
    event = message.events.get(kind="rejected")
    assert event.data["reasons"] == ["obscene"] and not event.is_public
    assert Notification.objects.filter(event=event, recipient=citizen, kind="rejected").exists()


def test_reject_needs_a_reason_and_duplicate_needs_original(citizen, category, moderator):
    original = registered(citizen, category, moderator)
    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_reject(message=message, actor=moderator, reasons=[])
    with pytest.raises(MessageActionError) as error:
        services.message_reject(message=message, actor=moderator, reasons=reasons("duplicate"))
    assert error.value.field == "duplicate_of"
    services.message_reject(
        message=message, actor=moderator, reasons=reasons("duplicate"), duplicate_of=original
    )
    message.refresh_from_db()
    assert message.duplicate_of == original


@pytest.mark.parametrize("who", ["citizen", "other_category_moderator", "executor"])
def test_reject_refused_to_wrong_people(request, citizen, category, moderator, who):
    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_reject(
            message=message, actor=request.getfixturevalue(who), reasons=reasons("obscene")
        )


def test_resubmit_by_author_after_correction(citizen, category, moderator):
    message = submit(citizen, category)
    services.message_reject(message=message, actor=moderator, reasons=reasons("obscene"))
    now = datetime(2025, 6, 10, 12, 0, tzinfo=MSK)
    services.message_resubmit(message=message, actor=citizen, text="Исправленный текст", now=now)
    message.refresh_from_db()
    assert message.state == State.SUBMITTED
    assert message.text == "Исправленный текст"
    assert message.rejection_reasons.count() == 0
    # 12 June 2025 is a holiday and 13 June a transferred day off: 11, 16, 17 June.
    assert timezone.localtime(message.registration_due).date() == date(2025, 6, 17)
    assert kinds(message) == ["submitted", "rejected", "resubmitted"]


def test_resubmit_refused_to_other_citizen_for_duplicate_and_wrong_state(
    citizen, other_citizen, category, moderator
):
    original = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError):
        services.message_resubmit(message=original, actor=citizen)  # registered, not rejected
    message = submit(citizen, category)
    services.message_reject(message=message, actor=moderator, reasons=reasons("obscene"))
    with pytest.raises(MessageActionError):
        services.message_resubmit(message=message, actor=other_citizen)
    duplicate = submit(citizen, category)
    services.message_reject(
        message=duplicate, actor=moderator, reasons=reasons("duplicate"), duplicate_of=original
    )
    with pytest.raises(MessageActionError, match=original.number):
        services.message_resubmit(message=duplicate, actor=citizen)


# --- reassign -----------------------------------------------------------------------------------------


def test_reassign_keeps_state_and_writes_event(
    citizen, category, moderator, executor, other_org_executor, world
):
    message = registered(citizen, category, moderator)
    due = message.answer_due
    services.message_reassign(message=message, actor=moderator, executing_organization=world["kbu"])
    message.refresh_from_db()
    assert (message.state, message.executing_organization, message.answer_due) == (
        State.REGISTERED,
        world["kbu"],
        due,
    )
    event = message.events.get(kind="reassigned")
    assert event.is_public
    assert Notification.objects.filter(event=event, recipient=other_org_executor, kind="assigned").exists()
    # The executor of the old organisation can no longer answer.
    with pytest.raises(MessageActionError):
        services.message_answer(message=message, actor=executor, kind="solved", text="Сделано")


def test_reassign_refused_for_submitted_and_for_other_category(
    citizen, category, moderator, other_category_moderator, other_org_executor, world
):
    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_reassign(message=message, actor=moderator, executing_organization=world["kbu"])
    services.message_register(message=message, actor=moderator)
    with pytest.raises(MessageActionError):
        services.message_reassign(
            message=message, actor=other_category_moderator, executing_organization=world["kbu"]
        )


def test_executor_asks_for_reassignment(citizen, category, moderator, executor, supervisor):
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError):
        services.message_request_reassign(message=message, actor=executor, comment=" ")
    event = services.message_request_reassign(message=message, actor=executor, comment="Это дорога региона")
    recipients = set(Notification.objects.filter(event=event).values_list("recipient__email", flat=True))
    assert recipients == {moderator.email, supervisor.email}
    assert not event.is_public


# --- answer -------------------------------------------------------------------------------------------


def test_answer_by_executor_with_attachments(citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    answer = services.message_answer(
        message=message,
        actor=executor,
        kind="planned",
        text="Отремонтируем",
        planned_date=date(2026, 6, 1),
        attachments=processed_photos(2, "PNG"),
    )
    message.refresh_from_db()
    assert message.state == State.ANSWERED
    assert answer.attachments.count() == 2
    assert answer.organization == message.executing_organization
    assert Notification.objects.filter(message=message, recipient=citizen, kind="answered").exists()


def test_answer_kinds_need_their_details(citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError) as error:
        services.message_answer(message=message, actor=executor, kind="planned", text="Сделаем")
    assert error.value.field == "planned_date"
    with pytest.raises(MessageActionError) as error:
        services.message_answer(message=message, actor=executor, kind="impossible", text="")
    assert error.value.field == "text"
    with pytest.raises(MessageActionError):
        services.message_answer(message=message, actor=executor, kind="maybe", text="?")
    assert Answer.objects.count() == 0


def test_moderator_of_the_organisation_may_answer(citizen, category, moderator):
    # «Освещение» at МП «Горэлектросеть»: the category's moderator there answers (DESIGN.md).
    message = registered(citizen, category, moderator)
    services.message_answer(message=message, actor=moderator, kind="solved", text="Сделано")


@pytest.mark.parametrize("who", ["citizen", "other_org_executor", "other_category_moderator", "supervisor"])
def test_answer_refused_to_wrong_people(request, citizen, category, moderator, world, who):
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError):
        services.message_answer(
            message=message, actor=request.getfixturevalue(who), kind="solved", text="Сделано"
        )


def test_answer_refused_on_submitted_message(citizen, category, executor):
    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_answer(message=message, actor=executor, kind="solved", text="Сделано")


# --- rate, rework, close ------------------------------------------------------------------------------


def test_positive_rating_closes(citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=True)
    message.refresh_from_db()
    assert message.state == State.CLOSED and message.closed_at is not None
    assert Rating.objects.get().positive


def test_negative_rating_needs_remarks_and_sends_to_rework(citizen, category, moderator, executor):
    message = answered(citizen, category, moderator, executor)
    with pytest.raises(MessageActionError) as error:
        services.message_rate(message=message, actor=citizen, positive=False, remarks="  ")
    assert error.value.field == "remarks"
    now = datetime(2025, 12, 26, 9, 0, tzinfo=MSK)
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Яма осталась", now=now)
    message.refresh_from_db()
    assert message.state == State.REWORK and message.rework_count == 1
    # 10 working days from 26.12.2025 across the New Year holidays: 29, 30 Dec, 12–21 Jan → 21 January 2026.
    assert timezone.localtime(message.answer_due).date() == date(2026, 1, 21)
    event = message.events.get(kind="rated_negative")
    assert {(n.recipient.email, n.kind) for n in event.notifications.all()} == {
        (citizen.email, "rework"),
        (executor.email, "rework_assigned"),
    }
    # The rework answer, then a positive rating, closes it.
    answer = services.message_answer(message=message, actor=executor, kind="solved", text="Теперь заделана")
    assert answer.is_rework
    services.message_rate(message=message, actor=citizen, positive=True)
    message.refresh_from_db()
    assert message.state == State.CLOSED
    assert kinds(message) == [
        "submitted",
        "registered",
        "answered",
        "rated_negative",
        "answered",
        "rated_positive",
    ]


def test_rating_refused_twice_by_others_and_before_answer(
    citizen, other_citizen, category, moderator, executor
):
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError):
        services.message_rate(message=message, actor=citizen, positive=True)
    services.message_answer(message=message, actor=executor, kind="solved", text="Сделано")
    with pytest.raises(MessageActionError):
        services.message_rate(message=message, actor=other_citizen, positive=True)
    with pytest.raises(MessageActionError):
        services.message_rate(message=message, actor=executor, positive=True)
    services.message_rate(message=message, actor=citizen, positive=True)
    with pytest.raises(MessageActionError) as error:
        services.message_rate(message=message, actor=citizen, positive=False, remarks="Передумал")
    assert error.value.code == "wrong_state"
    assert Rating.objects.count() == 1


def test_close_unrated_after_the_window(citizen, category, moderator, executor, settings):
    settings.RATING_WINDOW_DAYS = 14
    message = answered(citizen, category, moderator, executor)
    with pytest.raises(MessageActionError) as error:
        services.message_close_unrated(message=message)
    assert error.value.code == "too_early"
    services.message_close_unrated(message=message, now=timezone.now() + timedelta(days=15))
    message.refresh_from_db()
    assert message.state == State.CLOSED
    event = message.events.get(kind="closed_unrated")
    assert event.notifications.get().kind == "closed"


# --- support ------------------------------------------------------------------------------------------


def test_support_once_per_user_and_guest(citizen, other_citizen, category, moderator):
    message = registered(citizen, category, moderator)
    assert services.message_support(message=message, user=other_citizen) is True
    assert services.message_support(message=message, user=other_citizen) is False
    assert services.message_support(message=message, guest_token="guest-1") is True
    assert services.message_support(message=message, guest_token="guest-1") is False
    message.refresh_from_db()
    assert message.support_count == 2 == Support.objects.count()


def test_support_refused_for_own_and_unpublished(citizen, other_citizen, category, moderator):
    message = submit(citizen, category)
    with pytest.raises(MessageActionError):
        services.message_support(message=message, user=other_citizen)
    services.message_register(message=message, actor=moderator)
    with pytest.raises(MessageActionError):
        services.message_support(message=message, user=citizen)
    message.refresh_from_db()
    assert message.support_count == 0


def test_state_field_is_protected(citizen, category):
    message = submit(citizen, category)
    with pytest.raises(AttributeError):
        message.state = State.CLOSED
