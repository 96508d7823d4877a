"""§4.7, §5.5, §5.7: a refused message is corrected completely, its photos too (issue 13.2).

message_resubmit removes, replaces and adds photos (at most four in all, §4.6) under the message's row
lock, in one transaction with the event that records which photos went and came; the removed files are
deleted once that transaction commits, and nothing serves them any more.
"""

import pytest
from django.db import connection, transaction

from directory.models import RejectionReason
from messages import services
from messages.errors import MessageActionError
from messages.models import TEXT_OR_PHOTO_REQUIRED, MessageEvent, Photo, State
from tests.factories import RejectionReasonFactory, processed_photos, submit


@pytest.fixture
def photos_reason(world):
    return RejectionReasonFactory(
        code="photos_need_editing", title="Фотографии требуют редактирования", regulation_ref="§4.7"
    )


def _refused(citizen, category, moderator, reason, photos=2, text="Яма на дороге у дома 5"):
    message = submit(citizen, category, text=text, photos=processed_photos(photos) if photos else ())
    services.message_reject(message=message, actor=moderator, reasons=[reason], comment="Фото перевёрнуто")
    message.refresh_from_db()
    return message


def _files(photos):
    return [
        (field.storage, field.name)
        for photo in photos
        for field in (photo.image, photo.thumbnail, photo.original)
        if field.name
    ]


def test_author_replaces_a_photo_and_adds_one(
    citizen, category, moderator, photos_reason, django_capture_on_commit_callbacks
):
    """§4.7, §5.7: a refusal for photos is fixed by replacing the photo; the event says which went and came."""
    message = _refused(citizen, category, moderator, photos_reason, photos=2)
    first, second = message.photos.order_by("position")
    old_files = _files([first])
    assert all(storage.exists(name) for storage, name in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        services.message_resubmit(
            message=message, actor=citizen, remove_photos=[first.token], add_photos=processed_photos(2)
        )

    message.refresh_from_db()
    assert message.state == State.SUBMITTED
    photos = list(message.photos.order_by("position"))
    assert len(photos) == message.photo_count == 3
    assert photos[0].pk == second.pk and [p.position for p in photos] == [0, 1, 2]
    assert not Photo.objects.filter(pk=first.pk).exists()
    # The removed photo's files are gone: no view and no storage path can reach them.
    assert not any(storage.exists(name) for storage, name in old_files)
    assert all(storage.exists(name) for storage, name in _files(photos))
    event = message.events.get(kind=MessageEvent.Kind.RESUBMITTED)
    assert event.data["photos_removed"] == [str(first.token)]
    assert event.data["photos_added"] == [str(p.token) for p in photos[1:]]
    assert event.actor_id == citizen.pk and not event.is_public


def test_more_than_four_in_all_is_refused_and_nothing_changes(
    citizen, category, moderator, photos_reason, django_capture_on_commit_callbacks, settings
):
    """§4.6: three kept and two new is five: refused next to the photos; the new files are removed again."""
    message = _refused(citizen, category, moderator, photos_reason, photos=3)
    before = set(message.photos.values_list("pk", flat=True))
    stored_before = {p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file()}
    with pytest.raises(MessageActionError) as error, django_capture_on_commit_callbacks(execute=True):
        services.message_resubmit(message=message, actor=citizen, add_photos=processed_photos(2))
    assert error.value.field == "photos" and "не более 4" in str(error.value)
    message.refresh_from_db()
    assert message.state == State.REJECTED and message.photo_count == 3
    assert set(message.photos.values_list("pk", flat=True)) == before
    assert {p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file()} == stored_before


def test_removing_every_photo_of_a_text_less_message_is_refused(citizen, category, moderator, photos_reason):
    """§4.1: a message of photos only cannot lose its last photo without getting a text."""
    message = _refused(citizen, category, moderator, photos_reason, photos=1, text="")
    (photo,) = message.photos.all()
    with pytest.raises(MessageActionError) as error:
        services.message_resubmit(message=message, actor=citizen, remove_photos=[photo.token])
    assert error.value.field == "text" and str(error.value) == TEXT_OR_PHOTO_REQUIRED
    services.message_resubmit(
        message=message, actor=citizen, remove_photos=[photo.token], text="Теперь есть описание"
    )
    message.refresh_from_db()
    assert (message.photo_count, message.text) == (0, "Теперь есть описание")


def test_a_photo_of_another_message_cannot_be_removed(citizen, category, moderator, photos_reason):
    """A token that is not this message's photo (a stale form, a forged post) changes nothing."""
    message = _refused(citizen, category, moderator, photos_reason, photos=1)
    other = submit(citizen, category, photos=processed_photos(1))
    foreign = other.photos.get()
    with pytest.raises(MessageActionError) as error:
        services.message_resubmit(message=message, actor=citizen, remove_photos=[foreign.token])
    assert error.value.field == "remove_photos"
    assert Photo.objects.filter(pk=foreign.pk).exists()
    message.refresh_from_db()
    assert message.state == State.REJECTED


def test_only_the_author_corrects_photos(citizen, other_citizen, category, moderator, photos_reason):
    """§5.7: the correction is the author's; anyone else is refused before anything is touched."""
    message = _refused(citizen, category, moderator, photos_reason, photos=1)
    (photo,) = message.photos.all()
    with pytest.raises(MessageActionError):
        services.message_resubmit(
            message=message, actor=other_citizen, remove_photos=[photo.token], add_photos=processed_photos(1)
        )
    assert list(message.photos.all()) == [photo]


def test_photos_only_change_while_refused(citizen, category, moderator, photos_reason):
    """§5.7: a message on moderation (not refused) keeps its photos; the new files are not kept either."""
    message = submit(citizen, category, photos=processed_photos(1))
    (photo,) = message.photos.all()
    with pytest.raises(MessageActionError) as error:
        services.message_resubmit(message=message, actor=citizen, remove_photos=[photo.token])
    assert error.value.code == "wrong_state"
    assert list(message.photos.all()) == [photo]


def test_the_correction_is_one_durable_transaction(citizen, category, moderator, photos_reason):
    """Every entry point is its own transaction: it refuses to run inside a caller's (transactions.py)."""
    message = _refused(citizen, category, moderator, photos_reason, photos=1)
    with pytest.raises(RuntimeError), transaction.atomic(durable=True):
        services.message_resubmit(message=message, actor=citizen, add_photos=processed_photos(1))


def test_duplicate_still_cannot_be_corrected(citizen, other_citizen, category, moderator, photos_reason):
    """§4.4: a refused duplicate is followed through its original, not corrected."""
    from tests.factories import registered

    original = registered(other_citizen, category, moderator)
    message = submit(citizen, category, photos=processed_photos(1))
    services.message_reject(
        message=message,
        actor=moderator,
        reasons=list(RejectionReason.objects.filter(code="duplicate")),
        duplicate_of=original,
    )
    with pytest.raises(MessageActionError):
        services.message_resubmit(message=message, actor=citizen, add_photos=processed_photos(1))
    assert message.photos.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (DATABASE_URL)")
def test_two_corrections_at_once_one_wins_and_leaves_no_stray_files(
    citizen, category, moderator, photos_reason, settings
):
    """§5.7 under the row lock: two corrections posted at once (two tabs) — one applies its photo change,
    the other is refused as no longer refused and its new files are removed again."""
    from tests.messages.test_concurrency import run_at_once

    message = _refused(citizen, category, moderator, photos_reason, photos=2)
    first, second = message.photos.order_by("position")
    new_a, new_b = processed_photos(1), processed_photos(1)
    results = run_at_once(
        lambda: services.message_resubmit(
            message=message.pk, actor=citizen, remove_photos=[first.token], add_photos=new_a
        ),
        lambda: services.message_resubmit(
            message=message.pk, actor=citizen, remove_photos=[second.token], add_photos=new_b
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    loser = next(value for kind, value in results if kind == "error")
    assert isinstance(loser, MessageActionError) and loser.code == "wrong_state"
    message.refresh_from_db()
    assert message.state == State.SUBMITTED and message.photo_count == 2 == message.photos.count()
    assert message.events.filter(kind=MessageEvent.Kind.RESUBMITTED).count() == 1
    on_disk = sorted(p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file())
    assert on_disk == sorted(name.rsplit("/", 1)[-1] for _, name in _files(message.photos.all()))
