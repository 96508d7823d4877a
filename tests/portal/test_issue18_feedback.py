"""Issue 18.3 (server side): feedback where the eye is — rating errors, the text counter, the answer form's
warning, the moderator's next message in the queue."""

import pytest
from django.urls import reverse

from tests.factories import answered, submit

pytestmark = pytest.mark.django_db


def test_refused_rating_shows_an_error_summary_in_the_rating_form_and_comes_back_to_it(
    client, citizen, moderator, executor, category
):
    message = answered(citizen, category, moderator, executor)
    client.force_login(citizen)
    page = client.get(reverse("portal:message", kwargs={"number": message.number})).content.decode()
    action = reverse("portal:rate", kwargs={"number": message.number}) + "#rate"
    assert f'action="{action}"' in page  # without JavaScript the reload lands on the form
    assert 'id="error-summary"' not in page
    body = client.post(
        reverse("portal:rate", kwargs={"number": message.number}), {"positive": "no"}
    ).content.decode()
    assert body.index('id="rate"') < body.index('id="error-summary"') < body.index(f'action="{action}"')
    assert '<a href="#id_remarks">' in body
    assert "<title>Ошибка — " in body


def test_text_box_has_a_counter_instead_of_a_silent_maxlength(client, citizen, category):
    client.force_login(citizen)
    body = client.get(f"/submit/?category={category.key}").content.decode()
    textarea = body[body.index("<textarea") : body.index(">", body.index("<textarea"))]
    assert "maxlength" not in textarea
    assert 'data-counter="4000"' in textarea
    assert 'aria-describedby="id_text_help id_text_count"' in textarea
    assert (
        '<p class="char-counter" id="id_text_count" data-counter-for="id_text">Не более 4000 знаков.</p>'
        in body
    )
    assert 'aria-live="polite" data-counter-live="id_text"' in body


def test_the_server_still_refuses_a_text_over_the_limit(client, citizen, category):
    client.force_login(citizen)
    from tests.portal.test_views_submit import URL, form_data

    response = client.post(URL, form_data(category=category.key, text="я" * 4001))
    assert response.status_code == 200
    assert response.context["form"].errors["text"]


def test_answer_form_warns_that_files_must_be_chosen_again(client, citizen, moderator, executor, category):
    from tests.factories import registered

    message = registered(citizen, category, moderator)
    client.force_login(executor)
    body = client.get(reverse("office:answer", kwargs={"number": message.number})).content.decode()
    assert "файлы нужно выбрать заново" in body


def test_after_registering_the_moderator_goes_on_to_the_next_message(client, citizen, moderator, category):
    first = submit(citizen, category, text="Первая яма")
    second = submit(citizen, category, text="Вторая яма")
    client.force_login(moderator)
    response = client.post(
        reverse("office:register", kwargs={"number": first.number}),
        {"executing_organization": "", "category": category.pk},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("office:review", kwargs={"number": second.number})
    text = [str(m) for m in response.context["messages"]]
    assert text == [
        f"Сообщение № {first.number} зарегистрировано и опубликовано. Следующее в очереди — № {second.number}."
    ]
    response = client.post(
        reverse("office:register", kwargs={"number": second.number}),
        {"executing_organization": "", "category": category.pk},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("office:moderation_queue")
    body = response.content.decode()
    assert f"Сообщение № {second.number} зарегистрировано и опубликовано. Очередь пуста." in body
    assert "Очередь пуста" in body
