"""§4.1 on the pages: the submit form takes photos instead of a text, and every place that shows a message's
text copes with an empty one (issue 13.1)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from messages import services
from messages.models import NO_TEXT_LABEL, Message
from tests.factories import processed_photos, submit
from tests.portal.test_views_submit import form_data, jpeg

pytestmark = pytest.mark.django_db
ERROR = "Опишите проблему или приложите хотя бы одну фотографию"


def _form(**overrides):
    """The submit form's fields with no text (§4.1)."""
    return form_data(**{"text": "", **overrides})


def test_submit_form_takes_a_photo_instead_of_text(client, citizen, category):
    """§4.1: place, date and a photo, no text — the portal form sends it."""
    client.force_login(citizen)
    response = client.post("/submit/", _form(photos=[jpeg()]))
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.text == "" and message.photo_count == 1


def test_submit_form_without_text_and_photo_says_so_next_to_the_text(client, citizen, category):
    """§4.1: neither text nor photo — a Russian error tied to the text field, nothing saved."""
    client.force_login(citizen)
    response = client.post("/submit/", _form())
    assert response.status_code == 200
    assert ERROR in " ".join(response.context["form"].errors["text"])
    body = response.content.decode()
    assert (
        'id="id_text_error"' in body and 'aria-describedby="id_text_help id_text_error id_text_count"' in body
    )
    assert not Message.objects.exists()


def test_text_field_is_not_marked_required(client, citizen, category):
    """§4.1: the text is optional when photos come; the browser must not insist on it."""
    client.force_login(citizen)
    body = client.get("/submit/", {"category": "potholes"}).content.decode()
    textarea = body[body.index("<textarea") : body.index("</textarea>")]
    assert "required" not in textarea


def test_a_broken_photo_without_text_reports_both(client, citizen, category):
    """§4.1, §4.5: the only photo is refused, so there is neither — both fields say why."""
    client.force_login(citizen)
    fake = SimpleUploadedFile("scan.png", b"not an image", content_type="image/png")
    response = client.post("/submit/", _form(photos=[fake]))
    errors = response.context["form"].errors
    assert ERROR in " ".join(errors["text"]) and "scan.png" in " ".join(errors["photos"])


def test_every_page_shows_a_neutral_note_for_an_empty_text(
    client, citizen, other_citizen, category, moderator, executor, admin_user
):
    """§4.1: public list, message page, cabinet, back-office queues and review, the admin — all say
    «Без текста — см. фотографии» where the text would be, and show the photo."""
    waiting = submit(citizen, category, text="", photos=processed_photos(1))
    client.force_login(moderator)
    for page in (reverse("office:moderation_queue"), reverse("office:review", args=[waiting.number])):
        body = client.get(page).content.decode()
        assert NO_TEXT_LABEL in body, page
    public = submit(citizen, category, text="", photos=processed_photos(1))
    services.message_register(message=public, actor=moderator)

    client.force_login(other_citizen)
    for page in ("/messages/", f"/m/{public.number}/"):
        body = client.get(page).content.decode()
        assert NO_TEXT_LABEL in body, page
        assert f"/m/{public.number}/photo/" in body, page

    client.force_login(citizen)
    assert NO_TEXT_LABEL in client.get("/cabinet/").content.decode()

    client.force_login(executor)
    assert NO_TEXT_LABEL in client.get(reverse("office:answer_queue")).content.decode()

    client.force_login(admin_user)
    change = reverse("admin:citizen_messages_message_change", args=[public.pk])
    response = client.get(change)
    assert response.status_code == 200 and NO_TEXT_LABEL in response.content.decode()
