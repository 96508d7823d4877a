"""§4.7, §5.5, §5.7 on the portal: the correction page changes photos too, and the moderator's comment to the
author is on the refused message's page and on the correction page, not only in the e-mail (issue 13.2)."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from messages import services
from messages.models import State
from tests.factories import RejectionReasonFactory, image_bytes, processed_photos, submit

pytestmark = pytest.mark.django_db
COMMENT = "Фотография перевёрнута, ямы не видно"


@pytest.fixture
def refused(world, citizen, category, moderator):
    reason = RejectionReasonFactory(
        code="photos_need_editing",
        title="Фотографии требуют редактирования",
        citizen_text="Замените фотографии.",
        regulation_ref="§4.7",
    )
    message = submit(citizen, category, text="Яма во дворе", photos=processed_photos(2))
    services.message_reject(message=message, actor=moderator, reasons=[reason], comment=COMMENT)
    message.refresh_from_db()
    return message


def _edit(message):
    return reverse("portal:edit", kwargs={"number": message.number})


def _form(message, **overrides):
    data = {
        "category": message.category.key,
        "text": message.text,
        "occurred_at": (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "address": message.address,
    }
    data.update(overrides)
    return data


def _jpeg(name="new.jpg", color=(10, 200, 10)):
    return SimpleUploadedFile(name, image_bytes("JPEG", color=color), content_type="image/jpeg")


def test_correction_page_offers_the_photos_and_the_moderators_comment(client, citizen, refused):
    """§5.7: reasons, the moderator's comment, each photo with «Убрать», a file input for new ones."""
    client.force_login(citizen)
    body = client.get(_edit(refused)).content.decode()
    assert "Фотографии требуют редактирования" in body and COMMENT in body
    assert 'enctype="multipart/form-data"' in body
    assert "Фотографии остаются прежними" not in body
    for photo in refused.photos.all():
        assert f'name="remove_photos" value="{photo.token}"' in body
        assert f"/m/{refused.number}/photo/{photo.token}/thumb/" in body
    assert 'type="file" name="photos"' in body and "Сейчас приложено 2 из 4" in body


def test_refused_message_page_shows_the_comment_to_the_author_only(client, citizen, moderator, refused):
    """§5.7: the author reads the moderator's comment on the message's own page."""
    client.force_login(citizen)
    body = client.get(f"/m/{refused.number}/").content.decode()
    assert "Комментарий модератора" in body and COMMENT in body
    assert "Исправить и отправить снова" in body
    client.force_login(moderator)  # staff open it in the back-office; the portal page shows no notice
    assert COMMENT not in client.get(f"/m/{refused.number}/").content.decode()


def test_author_replaces_a_photo_and_resubmits(client, citizen, refused, django_capture_on_commit_callbacks):
    """§4.7, §5.7: untick nothing, tick one photo to remove, add a new one: the message goes back to moderation."""
    first, second = refused.photos.order_by("position")
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _edit(refused), _form(refused, remove_photos=[str(first.token)], photos=[_jpeg()])
        )
    assert response.status_code == 302 and response["Location"] == f"/m/{refused.number}/"
    refused.refresh_from_db()
    assert refused.state == State.SUBMITTED
    photos = list(refused.photos.order_by("position"))
    assert photos[0].pk == second.pk and len(photos) == 2 and photos[1].original_name == "new.jpg"
    # The removed photo answers 404 to its own author; the new one is served.
    assert client.get(f"/m/{refused.number}/photo/{first.token}/").status_code == 404
    assert client.get(f"/m/{refused.number}/photo/{first.token}/thumb/").status_code == 404
    served = client.get(f"/m/{refused.number}/photo/{photos[1].token}/")
    assert served.status_code == 200
    served.close()


def test_a_failed_upload_keeps_the_typed_text(client, citizen, refused):
    """A refused file is reported next to the photos; what the author typed stays in the form."""
    client.force_login(citizen)
    fake = SimpleUploadedFile("scan.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    typed = "Новое подробное описание ямы у третьего подъезда"
    first = refused.photos.order_by("position").first()
    response = client.post(
        _edit(refused), _form(refused, text=typed, remove_photos=[str(first.token)], photos=[fake])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert typed in body and "scan.jpg" in body and 'id="id_photos_error"' in body
    assert (
        f'value="{first.token}" id="id_remove_photos_0" aria-describedby="id_remove_photos_help" checked'
        in body
    )
    refused.refresh_from_db()
    assert refused.state == State.REJECTED and refused.photos.count() == 2 and refused.text == "Яма во дворе"


def test_more_than_four_in_all_is_refused_next_to_the_photos(client, citizen, refused):
    """§4.6: two kept and three new is five: the form says how many may be added."""
    client.force_login(citizen)
    response = client.post(_edit(refused), _form(refused, photos=[_jpeg(f"{i}.jpg") for i in range(3)]))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["photos"])
    assert "не более 4" in errors
    refused.refresh_from_db()
    assert refused.photos.count() == 2 and refused.state == State.REJECTED


def test_photos_only_correction_needs_a_photo_or_a_text(client, citizen, refused):
    """§4.1: removing every photo and the text leaves nothing: the error is next to the text."""
    client.force_login(citizen)
    tokens = [str(p.token) for p in refused.photos.all()]
    response = client.post(_edit(refused), _form(refused, text="", remove_photos=tokens))
    assert "Опишите проблему или приложите хотя бы одну фотографию" in " ".join(
        response.context["form"].errors["text"]
    )
    refused.refresh_from_db()
    assert refused.photos.count() == 2


def test_a_forged_photo_token_is_refused(client, citizen, refused):
    """Only this message's photos can be ticked; anything else is a form error, not a silent change."""
    client.force_login(citizen)
    response = client.post(_edit(refused), _form(refused, remove_photos=[str(uuid.uuid4())]))
    assert response.status_code == 200 and response.context["form"].errors["remove_photos"]
    refused.refresh_from_db()
    assert refused.state == State.REJECTED


def test_moderator_sees_the_new_photo_and_what_changed(client, citizen, moderator, refused):
    """§5.4 after §5.7: the review page shows the photos now attached and the history counts the change."""
    first = refused.photos.order_by("position").first()
    client.force_login(citizen)
    client.post(_edit(refused), _form(refused, remove_photos=[str(first.token)], photos=[_jpeg()]))
    new = refused.photos.order_by("position").last()
    client.force_login(moderator)
    body = client.get(reverse("office:review", kwargs={"number": refused.number})).content.decode()
    assert f"/m/{refused.number}/photo/{new.token}/thumb/" in body
    assert str(first.token) not in body
    assert "Фотографии: убрано 1, добавлено 1" in body
