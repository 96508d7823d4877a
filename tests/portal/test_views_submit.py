"""Submitting (§3.3, §4), the confirmation page, and correcting a rejected message (§5.7)."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from directory.models import FaqEntry, RejectionReason
from messages import services
from messages.models import Message
from tests.factories import image_bytes, registered, submit

pytestmark = pytest.mark.django_db
URL = "/submit/"


def form_data(**overrides):
    data = {
        "category": "potholes",
        "text": "Глубокая яма во дворе",
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "address": "ул. Ленина, 7",
        "latitude": "",
        "longitude": "",
        "client_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def jpeg(name="photo.jpg"):
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def test_guest_is_sent_to_login(client, category):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(URL, form_data())["Location"].startswith("/accounts/login/")
    assert not Message.objects.exists()


def test_first_step_lists_topics_and_categories(client, citizen, category):
    client.force_login(citizen)
    body = client.get(URL).content.decode()
    assert "Дороги" in body and "?category=potholes" in body and "?category=lighting" in body


def test_second_step_shows_faq_rules_and_defaults(client, citizen, category):
    FaqEntry.objects.create(
        category=category, question="Кто ремонтирует дворы?", answer="Управляющая компания."
    )
    citizen.show_name_publicly = True
    citizen.save()
    client.force_login(citizen)
    response = client.get(URL, {"category": "potholes"})
    body = response.content.decode()
    assert "Кто ремонтирует дворы?" in body
    assert body.index("Кто ремонтирует дворы?") < body.index('name="text"')  # §2.5: before the text
    assert "§4.3" in body
    assert response.context["form"]["show_author_name"].value() is True
    assert 'for="id_text"' in body and 'for="id_photos"' in body


def test_submit_with_photos_redirects_to_confirmation(client, citizen, category):
    client.force_login(citizen)
    data = form_data(photos=[jpeg("a.jpg"), jpeg("b.jpg")], show_author_name="on")
    response = client.post(URL, data)
    message = Message.objects.get()
    assert response["Location"] == reverse("portal:submitted", kwargs={"number": message.number})
    assert message.photos.count() == 2 and message.show_author_name and message.author == citizen
    page = client.get(response["Location"]).content.decode()
    assert message.number in page and "3 рабочих дня" in page
    assert f"{timezone.localtime(message.registration_due):%Y}" in page


def test_double_post_creates_one_message(client, citizen, category):
    client.force_login(citizen)
    data = form_data()
    first = client.post(URL, data)
    second = client.post(URL, data)
    assert first["Location"] == second["Location"]
    assert Message.objects.count() == 1


def test_disguised_photo_keeps_the_text_and_says_so(client, citizen, category):
    client.force_login(citizen)
    fake = SimpleUploadedFile(
        "yama.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    response = client.post(URL, form_data(text="Мой длинный текст про яму", photos=[fake]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "yama.jpg" in body and "не является фотографией" in body
    assert "Мой длинный текст про яму" in body
    assert 'id="id_photos_error"' in body and "выбрать заново" in body
    assert not Message.objects.exists()


def test_bad_photo_and_missing_text_are_reported_together(client, citizen, category):
    client.force_login(citizen)
    fake = SimpleUploadedFile("scan.png", b"not an image", content_type="image/png")
    response = client.post(URL, form_data(text="", photos=[fake]))
    errors = response.context["form"].errors
    assert set(errors) == {"text", "photos"}


def test_too_many_photos(client, citizen, category):
    client.force_login(citizen)
    response = client.post(URL, form_data(photos=[jpeg(f"{i}.jpg") for i in range(5)]))
    assert response.status_code == 200
    assert "не более 4" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"text": ""}, "text", "Опишите проблему"),
        ({"address": ""}, "address", "Укажите место"),
        ({"occurred_at": ""}, "occurred_at", "Обязательное поле"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "в будущем"),
        ({"latitude": "53.2"}, "latitude", "и широту, и долготу"),
        ({"latitude": "153.2", "longitude": "45"}, "latitude", "меньше либо равно 90"),
    ],
)
def test_field_errors_are_russian_and_next_to_the_field(client, citizen, category, overrides, field, text):
    client.force_login(citizen)
    response = client.post(URL, form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and text in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()


def test_retired_category_is_refused(client, citizen, category):
    category.is_active = False
    category.save()
    client.force_login(citizen)
    response = client.post(URL, form_data(), follow=True)
    assert "Выберите тему и категорию" in response.content.decode()
    assert not Message.objects.exists()


def test_submit_wrong_method(client, citizen):
    client.force_login(citizen)
    assert client.put(URL).status_code == 405


def test_confirmation_page_is_the_authors_only(client, citizen, other_citizen, category):
    message = submit(citizen, category)
    url = reverse("portal:submitted", kwargs={"number": message.number})
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    client.force_login(citizen)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


# --- correcting a rejected message ----------------------------------------------------------------


def _rejected(author, category, moderator, code="obscene", duplicate_of=None):
    message = submit(author, category)
    reason = RejectionReason.objects.get(code=code)
    return services.message_reject(
        message=message, actor=moderator, reasons=[reason], duplicate_of=duplicate_of
    )


def edit_url(message):
    return reverse("portal:edit", kwargs={"number": message.number})


def test_author_corrects_and_resubmits(client, citizen, moderator, category):
    message = _rejected(citizen, category, moderator)
    client.force_login(citizen)
    page = client.get(edit_url(message))
    assert page.status_code == 200 and "Нецензурная лексика" in page.content.decode()
    data = form_data(text="Исправленный текст", category="lighting")
    del data["client_token"]
    response = client.post(edit_url(message), data)
    assert response["Location"] == f"/m/{message.number}/"
    message.refresh_from_db()
    assert message.state == "submitted" and message.text == "Исправленный текст"
    assert message.category.key == "lighting"


def test_resubmit_errors_stay_on_the_form(client, citizen, moderator, category):
    message = _rejected(citizen, category, moderator)
    client.force_login(citizen)
    response = client.post(edit_url(message), form_data(text=""))
    assert response.status_code == 200 and "Опишите проблему" in response.content.decode()


def test_duplicate_cannot_be_resubmitted(client, citizen, moderator, category):
    original = registered(citizen, category, moderator)
    message = _rejected(citizen, category, moderator, code="duplicate", duplicate_of=original)
    client.force_login(citizen)
    response = client.get(edit_url(message), follow=True)
    assert "нельзя исправить" in response.content.decode()
    client.post(edit_url(message), form_data())
    message.refresh_from_db()
    assert message.state == "rejected"


def test_only_rejected_messages_of_the_author_can_be_edited(
    client, citizen, other_citizen, moderator, category
):
    rejected = _rejected(citizen, category, moderator)
    public = registered(citizen, category, moderator)
    assert client.get(edit_url(rejected))["Location"].startswith("/accounts/login/")
    client.force_login(other_citizen)
    assert client.get(edit_url(rejected)).status_code == 404
    assert client.post(edit_url(public), form_data()).status_code == 404
    client.force_login(citizen)
    assert client.get(edit_url(public))["Location"] == f"/m/{public.number}/"
    assert client.delete(edit_url(rejected)).status_code == 405
