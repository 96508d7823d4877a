"""The moderator's queue, review page and actions (§5.4–5.7, §4.4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import RejectionReason
from messages import services
from messages.models import MessageEvent, Notification
from tests.factories import OfficialFactory, UserFactory, registered, submit
from tests.moderation.conftest import page_queries, submit_at
from tests.sharedcache import shared_reads


def url(name, message=None):
    return reverse(name, kwargs={"number": message.number}) if message else reverse(name)


# --- queue ----------------------------------------------------------------------------------------


def test_queue_lists_own_categories_by_deadline(client, moderator, world, citizen):
    now = timezone.now()
    older = submit(citizen, world["potholes"], now=now - timedelta(days=10), text="Старая яма")
    newer = submit(citizen, world["potholes"], text="Новая яма")
    foreign = submit(citizen, world["lighting"], text="Не горит фонарь")
    client.force_login(moderator)
    response = client.get(url("office:moderation_queue"))
    assert response.status_code == 200
    numbers = [m.number for m in response.context["page"].object_list]
    assert numbers == [older.number, newer.number]
    assert foreign.number not in response.content.decode()
    # the old one is overdue and marked so
    assert 'class="overdue"' in response.content.decode()
    assert "просрочено" in response.content.decode()


def test_supervisor_queue_has_every_category(client, supervisor, world, citizen):
    a = submit(citizen, world["potholes"])
    b = submit(citizen, world["lighting"])
    client.force_login(supervisor)
    numbers = {m.number for m in client.get(url("office:moderation_queue")).context["page"].object_list}
    assert numbers == {a.number, b.number}


def test_queue_filters_by_category_and_date(client, supervisor, world, citizen):
    now = timezone.now()
    old = submit(citizen, world["potholes"], now=now - timedelta(days=20))
    pothole = submit(citizen, world["potholes"])
    light = submit(citizen, world["lighting"])
    client.force_login(supervisor)
    page = client.get(url("office:moderation_queue"), {"category": world["lighting"].pk}).context["page"]
    assert [m.number for m in page.object_list] == [light.number]
    since = (timezone.localdate(now) - timedelta(days=1)).isoformat()
    page = client.get(url("office:moderation_queue"), {"submitted_from": since}).context["page"]
    assert {m.number for m in page.object_list} == {pothole.number, light.number}
    until = (timezone.localdate(now) - timedelta(days=5)).isoformat()
    page = client.get(url("office:moderation_queue"), {"submitted_to": until}).context["page"]
    assert [m.number for m in page.object_list] == [old.number]


def test_filter_refuses_a_category_the_moderator_does_not_have(client, moderator, world, citizen):
    submit(citizen, world["potholes"])
    client.force_login(moderator)
    response = client.get(url("office:moderation_queue"), {"category": world["lighting"].pk})
    assert response.status_code == 200
    assert response.context["filters"].errors["category"]


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "kept"])
@pytest.mark.parametrize("rows", [2, 20])
def test_queue_query_count_does_not_grow(client, moderator, category, citizen, rows, cold):
    from tests.factories import processed_photos

    for i in range(rows):
        submit(citizen, category, text=f"Яма {i}", photos=processed_photos(1) if i % 2 else ())
    client.force_login(moderator)
    # session, user, official with its organisation, the versions (one read of the tests' database
    # cache), the page rows; cold: the count and the filter form's categories as well
    response, queries, sql = page_queries(client, url("office:moderation_queue"), cold=cold)
    assert queries == (5 if cold else 3) + shared_reads(), sql
    assert len(response.context["page"].object_list) == rows


# --- review page ------------------------------------------------------------------------------------


def test_review_shows_message_earlier_messages_and_duplicates(client, moderator, executor, category, citizen):
    first = submit_at(
        citizen,
        category,
        text="Большая яма на дороге возле школы",
        address="ул. Строителей, 1",
        latitude=Decimal("53.210000"),
        longitude=Decimal("45.190000"),
    )
    services.message_register(message=first, actor=moderator)
    other_place = submit_at(citizen, category, text="Сломана скамейка в парке", address="Парк Победы")
    message = submit_at(
        citizen,
        category,
        text="Яма на дороге возле школы, большая",
        address="напротив школы № 3",
        latitude=Decimal("53.210500"),
        longitude=Decimal("45.190300"),
    )
    client.force_login(moderator)
    response = client.get(url("office:review", message))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Яма на дороге возле школы, большая" in page
    dupes = response.context["duplicates"]
    assert [d.message.number for d in dupes] == [first.number]
    assert dupes[0].reasons[0].startswith("в ")  # metres away
    assert f"Отказать: дубликат сообщения № {first.number}" in page
    earlier = [m.number for m in response.context["earlier"]]
    assert earlier == [other_place.number, first.number]


def test_review_of_other_category_is_404(client, other_category_moderator, category, citizen):
    message = submit(citizen, category)
    client.force_login(other_category_moderator)
    assert client.get(url("office:review", message)).status_code == 404


def test_review_of_unknown_number_is_404(client, moderator):
    client.force_login(moderator)
    assert client.get(reverse("office:review", kwargs={"number": "2000-999999"})).status_code == 404


def test_reject_form_lists_citizen_texts(client, moderator, category, citizen):
    RejectionReason.objects.filter(code="obscene").update(citizen_text="Уберите нецензурные слова.")
    message = submit(citizen, category)
    client.force_login(moderator)
    page = client.get(url("office:review", message)).content.decode()
    assert "Автор прочитает: «Уберите нецензурные слова.»" in page


# --- register -----------------------------------------------------------------------------------------


def test_register_routes_to_responsible_by_default(client, moderator, executor, category, citizen, world):
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(
        url("office:register", message), {"executing_organization": "", "category": category.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("office:moderation_queue")  # issue 18.3: the queue is empty now
    message.refresh_from_db()
    assert message.state == "registered"
    assert message.executing_organization == world["administration"]


def test_register_to_another_participating_organisation(
    client, moderator, other_org_executor, category, citizen, world
):
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(
        url("office:register", message),
        {"executing_organization": world["kbu"].pk, "category": category.pk, "comment": "КБУ"},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.executing_organization == world["kbu"]


def test_register_error_is_shown_next_to_the_organisation_field(client, moderator, category, citizen, world):
    # Nobody at КБУ can answer potholes (no other_org_executor here): the service refuses, the form shows it.
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(
        url("office:register", message), {"executing_organization": world["kbu"].pk, "category": category.pk}
    )
    assert response.status_code == 400
    form = response.context["register_form"]
    assert "нет сотрудника" in form.errors["executing_organization"][0]
    assert (
        'aria-describedby="register_executing_organization_help register_executing_organization_error"'
        in (response.content.decode())
    )
    message.refresh_from_db()
    assert message.state == "submitted"


def test_register_with_corrected_category(client, supervisor, world, citizen):
    lighting_executor = UserFactory(email="light@adm.ru")
    OfficialFactory(
        user=lighting_executor,
        organization=world["administration"],
        role="executor",
        categories=[world["lighting"]],
    )
    message = submit(citizen, world["potholes"])
    client.force_login(supervisor)
    response = client.post(
        url("office:register", message), {"executing_organization": "", "category": world["lighting"].pk}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.category == world["lighting"]


def test_moderator_cannot_move_to_a_category_not_theirs(client, moderator, executor, world, citizen):
    message = submit(citizen, world["potholes"])
    client.force_login(moderator)
    response = client.post(url("office:register", message), {"category": world["lighting"].pk})
    assert response.status_code == 400
    assert response.context["register_form"].errors["category"]


def test_a_decision_sent_twice_says_the_message_is_decided(client, moderator, executor, category, citizen):
    """A double click, or a request retried after its response was lost: the second register (or reject,
    or duplicate) changes nothing and the review page says why, instead of a form error."""
    message = submit(citizen, category)
    client.force_login(moderator)
    client.post(url("office:register", message), {"category": category.pk})
    for name, data in (
        ("office:register", {"category": category.pk}),
        ("office:reject", {"reasons": [1], "comment": "x"}),
        ("office:duplicate", {"duplicate_of": message.number}),
    ):
        response = client.post(url(name, message), data, follow=True)
        assert response.redirect_chain == [(url("office:review", message), 302)], name
        page = response.content.decode()
        assert (
            f"Сообщение № {message.number} уже рассмотрено (зарегистрировано): решение не изменено." in page
        )
    message.refresh_from_db()
    assert message.state == "registered"
    assert message.events.filter(kind="registered").count() == 1


# --- reject --------------------------------------------------------------------------------------------


def test_reject_needs_a_reason(client, moderator, category, citizen):
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(url("office:reject", message), {"comment": "нет"})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reasons"] == ["Выберите хотя бы одну причину отказа."]
    assert 'id="reject_reasons_error"' in response.content.decode()


def test_reject_preview_shows_the_letter_and_does_not_send(client, moderator, category, citizen):
    reason = RejectionReason.objects.get(code="obscene")
    reason.citizen_text = "Сообщение содержит нецензурную лексику (§4.3)."
    reason.save()
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(
        url("office:reject", message), {"reasons": [reason.pk], "comment": "Перепишите", "preview": "1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    preview = page[page.index('id="reject-preview"') :]
    assert "<li>Сообщение содержит нецензурную лексику (§4.3).</li>" in preview
    assert "Комментарий модератора: Перепишите" in preview
    message.refresh_from_db()
    assert message.state == "submitted"


def test_reject_sends_and_notifies(client, moderator, category, citizen):
    reason = RejectionReason.objects.get(code="obscene")
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(url("office:reject", message), {"reasons": [reason.pk], "comment": "Перепишите"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == "rejected"
    assert Notification.objects.filter(message=message, kind="rejected", recipient=citizen).exists()


def test_duplicate_needs_the_original_number_next_to_its_field(client, moderator, category, citizen):
    duplicate = RejectionReason.objects.get(code="duplicate")
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(url("office:reject", message), {"reasons": [duplicate.pk]})
    assert response.status_code == 400
    assert "исходного сообщения" in response.context["reject_form"].errors["duplicate_of"][0]


def test_duplicate_of_an_unknown_number(client, moderator, category, citizen):
    duplicate = RejectionReason.objects.get(code="duplicate")
    message = submit(citizen, category)
    client.force_login(moderator)
    response = client.post(
        url("office:reject", message), {"reasons": [duplicate.pk], "duplicate_of": "1999-1"}
    )
    assert response.status_code == 400
    assert response.context["reject_form"].errors["duplicate_of"] == ["Сообщение № 1999-1 не найдено."]


def test_one_step_duplicate_button(client, moderator, executor, category, citizen, other_citizen):
    original = registered(citizen, category, moderator)
    message = submit(other_citizen, category)
    client.force_login(moderator)
    duplicate = RejectionReason.objects.get(code="duplicate")
    response = client.post(
        url("office:reject", message), {"reasons": [duplicate.pk], "duplicate_of": original.number}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == "rejected"
    assert message.duplicate_of == original


# --- reassign -------------------------------------------------------------------------------------------


def test_reassign_to_another_organisation(
    client, moderator, executor, other_org_executor, category, citizen, world
):
    message = registered(citizen, category, moderator)
    client.force_login(moderator)
    page = client.get(url("office:review", message))
    assert "reassign_form" in page.context
    response = client.post(
        url("office:reassign", message), {"executing_organization": world["kbu"].pk, "comment": "Их участок"}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.executing_organization == world["kbu"]
    assert message.events.filter(kind=MessageEvent.Kind.REASSIGNED).exists()


def test_reassign_needs_an_organisation(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(moderator)
    response = client.post(url("office:reassign", message), {"executing_organization": ""})
    assert response.status_code == 400
    assert response.context["reassign_form"].errors["executing_organization"]


def test_executor_cannot_reassign(client, moderator, executor, other_org_executor, category, citizen, world):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    response = client.post(url("office:reassign", message), {"executing_organization": world["kbu"].pk})
    assert response.status_code == 400
    assert "не модерируете" in response.content.decode()
    message.refresh_from_db()
    assert message.executing_organization == world["administration"]


def test_duplicate_of_a_message_still_on_moderation_is_refused(client, supervisor, category, citizen):
    # Issue 11, item 10: the author would get a link to a message they cannot open, and no way back.
    duplicate = RejectionReason.objects.get(code="duplicate")
    original = submit(citizen, category, text="Первое")
    copy = submit(citizen, category, text="Второе")
    client.force_login(supervisor)
    review = client.get(url("office:review", copy)).content.decode()
    assert f"Отказать: дубликат сообщения № {original.number}" not in review
    assert "Ещё не опубликовано" in review
    response = client.post(
        url("office:reject", copy), {"reasons": [duplicate.pk], "duplicate_of": original.number}
    )
    assert response.status_code == 400
    assert f"Сообщение № {original.number} не опубликовано" in response.content.decode()
    copy.refresh_from_db()
    assert copy.duplicate_of is None and copy.state == "submitted"


def test_review_shows_photos_through_the_portal_checked_urls(client, moderator, category, citizen):
    from tests.factories import processed_photos

    message = submit(citizen, category, photos=processed_photos(2))
    client.force_login(moderator)
    page = client.get(url("office:review", message)).content.decode()
    for photo in message.photos.all():
        thumb = reverse("portal:photo_thumb", kwargs={"number": message.number, "token": photo.token})
        full = reverse("portal:photo", kwargs={"number": message.number, "token": photo.token})
        # A thumbnail opens the viewer page with the message's context (issue 18.4), which shows the photo.
        view = reverse("portal:photo_view", kwargs={"number": message.number, "token": photo.token})
        assert f'src="{thumb}"' in page and f'href="{view}"' in page
        assert f'src="{full}"' in client.get(view).content.decode()
        response = client.get(thumb)
        assert response.status_code == 200
        b"".join(response.streaming_content)


@pytest.mark.parametrize("rows", [2, 20])
def test_reassign_requests_query_count(client, moderator, executor, category, citizen, rows):
    for i in range(rows):
        message = registered(citizen, category, moderator, text=f"Яма {i}")
        services.message_request_reassign(message=message, actor=executor, comment="Не наше")
    client.force_login(moderator)
    # session, user, official, the office version (one read), the requests
    response, queries, sql = page_queries(client, url("office:reassign_requests"), cold=True)
    assert queries == 3 + shared_reads(), sql
    assert len(response.context["requests"]) == rows


def test_the_rejection_letter_is_written_once_by_the_server(client, moderator, category, citizen):
    """The review page carries every active reason's line of the letter (hidden until ticked), so office.js
    only shows and hides them; the script holds none of the letter's wording (issue 12.3)."""
    from django.contrib.staticfiles import finders
    from django.utils.html import escape

    message = submit(citizen, category)
    client.force_login(moderator)
    page = client.get(url("office:review", message)).content.decode()
    preview = page[page.index('id="reject-preview"') :]
    for reason in RejectionReason.objects.filter(is_active=True):
        assert f"<li hidden>{escape(reason.citizen_text)}</li>" in preview
    assert f"<p>В регистрации сообщения № {message.number} отказано.</p>" in preview
    with open(finders.find("js/office.js"), encoding="utf-8") as script:
        code = script.read()
    for wording in ("отказано", "Исходное сообщение", "Комментарий модератора", "Выберите причины"):
        assert wording not in code


# --- cost at two sizes (issue 14) ---------------------------------------------------------------------


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "kept"])
@pytest.mark.parametrize("rows", [2, 20])
def test_supervisor_queue_query_count_does_not_grow(client, supervisor, world, citizen, rows, cold):
    from tests.factories import processed_photos

    for i in range(rows):
        category = world["potholes"] if i % 2 else world["lighting"]
        submit(citizen, category, text=f"Яма {i}", photos=processed_photos(2) if i == 1 else ())
    client.force_login(supervisor)
    # session, user, official with its organisation, the versions, the page rows with their photo
    # counts (a column kept by the services); cold: the count and the filter form's categories as well
    response, queries, sql = page_queries(client, url("office:moderation_queue"), cold=cold)
    assert queries == (5 if cold else 3) + shared_reads(), sql
    rows_on_page = response.context["page"].object_list
    assert len(rows_on_page) == rows
    assert sorted(m.photo_count for m in rows_on_page)[-1] == 2
    assert "фото: 2" in response.content.decode()


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "kept"])
@pytest.mark.parametrize("rows", [2, 20])
def test_review_query_count_does_not_grow(client, moderator, category, citizen, rows, cold):
    """Neither the category's other messages (duplicate hints) nor the author's earlier ones add queries."""
    for i in range(rows):
        submit(citizen, category, text=f"Яма на дороге у дома {i}")
    message = submit(citizen, category, text="Яма на дороге у дома 1")
    client.force_login(moderator)
    # session, user, official with its organisation; the message, photos, reasons, events (a message on
    # moderation has no answers to read); the office version (one read); cold: may moderate, the duplicate candidates as plain rows and the top
    # five as messages, the author's earlier messages, the register form's categories and organisations
    # (category's own, others), the reject form's reasons (shared with the duplicate hint). Kept: the
    # rendered fields and the reasons' checkboxes and letter lines (issue 14: 17 and 13 queries before)
    response, queries, sql = page_queries(client, url("office:review", message), cold=cold)
    assert queries == (14 if cold else 6) + shared_reads(), sql
    assert len(response.context["earlier"]) == min(rows, 10)
    assert response.context["duplicates"]
    assert response.context["duplicate_reason"].code == RejectionReason.DUPLICATE


def test_review_page_kept_is_the_page_rendered(
    client, moderator, category, citizen, django_capture_on_commit_callbacks
):
    """The kept fields and reasons (issue 14) are the HTML the form renders; a bound form (the letter's
    preview, a refused decision) is rendered, never taken from what an unbound one kept; a renamed
    reason shows at once."""
    import re

    from django.core.cache import caches

    message = submit(citizen, category, text="Яма у подъезда")
    client.force_login(moderator)
    review = url("office:review", message)

    def page():
        html = client.get(review).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    client.get(review)
    caches["pages"].clear()
    rendered = page()  # nothing kept: rendered, then kept
    assert page() == rendered  # from what was kept
    reason = RejectionReason.objects.get(code="obscene")
    preview = client.post(url("office:reject", message), {"reasons": [reason.pk], "preview": "1"})
    html = preview.content.decode()
    assert f'value="{reason.pk}" id="reject_reasons_' in html and "checked" in html
    assert f"<li>{reason.citizen_text}</li>" in html[html.index('id="reject-preview"') :]
    reason.citizen_text = "Новый текст причины для автора."
    with django_capture_on_commit_callbacks(execute=True):  # the office version moves on commit
        reason.save()
    assert "Автор прочитает: «Новый текст причины для автора.»" in page()


def test_deadline_badges(client, moderator, category, citizen):
    """The queue's deadline cell: the date, and «просрочено» / «сегодня» badges (built without a template)."""
    from django.template import Context, Template

    now = timezone.now()
    template = Template("{% load office %}{% deadline due %}")
    overdue = template.render(Context({"due": now - timedelta(hours=1), "now": now}))
    assert 'class="badge badge-overdue">просрочено</span>' in overdue
    local = timezone.localtime(now + timedelta(days=30))
    later = template.render(Context({"due": local, "now": now}))
    assert later == f'<time datetime="{local.isoformat()}">{local:%d.%m.%Y %H:%M}</time>'
    assert template.render(Context({"due": None, "now": now})) == "—"
