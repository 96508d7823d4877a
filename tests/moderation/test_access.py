"""Every back-office view: the right role, the wrong role, anonymous and the wrong HTTP method."""

import pytest
from django.urls import reverse

from tests.factories import registered, submit

GET_VIEWS = ["office:home", "office:moderation_queue", "office:answer_queue", "office:reassign_requests"]


@pytest.mark.parametrize("name", [*GET_VIEWS, "office:overdue"])
def test_anonymous_is_sent_to_login(client, name, world):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=/office/")


@pytest.mark.parametrize("name", [*GET_VIEWS, "office:overdue"])
def test_citizen_is_refused(client, citizen, name):
    client.force_login(citizen)
    assert client.get(reverse(name)).status_code == 403


def test_superuser_without_official_row_is_refused(client, db):
    from accounts.models import User

    boss = User.objects.create_superuser("root@city.ru", "secret-pass-123")
    client.force_login(boss)
    assert client.get(reverse("office:home")).status_code == 403


def test_retired_official_is_refused(client, moderator):
    moderator.official.is_active = False
    moderator.official.save()
    client.force_login(moderator)
    assert client.get(reverse("office:home")).status_code == 403


@pytest.mark.parametrize("name", [*GET_VIEWS, "office:overdue"])
def test_get_only_views_refuse_post(client, supervisor, name):
    client.force_login(supervisor)
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize(
    "name", ["office:register", "office:reject", "office:reassign", "office:request_reassign"]
)
def test_action_views_refuse_get(client, moderator, category, citizen, name):
    message = submit(citizen, category)
    client.force_login(moderator)
    assert client.get(reverse(name, kwargs={"number": message.number})).status_code == 405


def test_review_and_answer_refuse_other_methods(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    assert client.put(reverse("office:answer", kwargs={"number": message.number})).status_code == 405
    assert client.post(reverse("office:review", kwargs={"number": message.number})).status_code == 405


def test_overdue_board_is_for_supervisors_only(client, moderator, executor, supervisor):
    for user, status in ((moderator, 403), (executor, 403), (supervisor, 200)):
        client.force_login(user)
        assert client.get(reverse("office:overdue")).status_code == status


@pytest.mark.parametrize("name", ["office:register", "office:reject"])
def test_actions_on_a_message_outside_scope_are_404(
    client, other_category_moderator, category, citizen, name
):
    message = submit(citizen, category)
    client.force_login(other_category_moderator)
    response = client.post(reverse(name, kwargs={"number": message.number}), {})
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.state == "submitted"


def test_citizen_cannot_act_even_on_own_message(client, citizen, category):
    message = submit(citizen, category)
    client.force_login(citizen)
    response = client.post(reverse("office:register", kwargs={"number": message.number}))
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.state == "submitted"


def test_staff_pages_are_never_cached(client, moderator):
    client.force_login(moderator)
    response = client.get(reverse("office:home"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
