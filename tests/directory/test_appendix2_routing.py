"""Issue 13.9: Appendix 2 routing as written — who answers and who gets the executors' notices.

The rule (directory/routing.py): the executors of the organisation a message is routed to answer it; the
organisation's moderators of the category answer only where it has no (active) executor of the category.
"""

import pytest
from django.urls import reverse

from directory import routing
from directory.models import Category, Official, Organization
from messages import services
from messages.errors import MessageActionError
from messages.models import Notification
from messages.selectors import executor_queue
from tests.factories import UserFactory, registered, submit

pytestmark = pytest.mark.django_db


def _row(n):
    return Official.objects.select_related("user", "organization").get(appendix_row=n)


def _category(name):
    return Category.objects.get(name=name)


def _org(short_name):
    return Organization.objects.get(short_name=short_name)


# (Appendix 2 row of a moderator, category, organisation) → may that moderator answer there?
MODERATOR_ANSWERS = [
    (1, "Ямы на дорогах", "Администрация", False),  # row 3 executes
    (2, "Неубранный мусор", "Администрация", False),  # row 4 executes
    (1, "Благоустройство", "Администрация", False),  # row 11 executes
    (5, "Строительство", "Администрация", False),  # rows 6–8 execute
    (9, "Наказ депутату", "Собрание представителей", False),  # row 10 executes
    (1, "Не убран снег", "Администрация", True),  # Appendix 2 names no executor
    (2, "Земляные работы", "Администрация", True),
    (1, "Освещение", "Администрация", True),
    (15, "Освещение", "МП «Горэлектросеть»", True),
    (13, "Коронавирус", "Администрация", True),
    (16, "Обеспечение мобильности", "Департамент социального развития", True),
    (20, "Бродячие животные", "МКУ «Управление МТО»", True),
]


@pytest.mark.parametrize(("row", "category", "organization", "answers"), MODERATOR_ANSWERS)
def test_appendix_2_moderators_of_rows_1_2_5_9_answer_only_where_no_executor(
    reference_data, row, category, organization, answers
):
    """Appendix 2 rows 1, 2, 5, 9 (moderators) vs rows 3, 4, 6–8, 10, 11 (executors); DESIGN.md "Who uses
    it": a moderator answers for their organisation only where it has no executor of the category. The
    permission, the answerers (who get the notices) and the answer queue agree."""
    official, category, organization = _row(row), _category(category), _org(organization)
    assert routing.can_answer(official, category, organization) is answers
    assert routing.category_answerers(category, organization).filter(pk=official.pk).exists() is answers
    assert routing.moderator_answer_categories(official).filter(pk=category.pk).exists() is answers


def test_appendix_2_executors_keep_answering_and_the_supervisors_never_do(reference_data):
    """Appendix 2 rows 3, 10, 14 (executors) answer their categories; rows 18–19 («Мониторинг работы
    платформы») moderate everything and answer nothing; row 26 serves no category."""
    adm = _org("Администрация")
    assert routing.can_answer(_row(3), _category("Ямы на дорогах"), adm)
    assert routing.can_answer(_row(10), _category("Наказ депутату"), _org("Собрание представителей"))
    assert routing.can_answer(_row(14), _category("Машина на газоне"), adm)
    for row in (18, 19):
        assert not any(routing.can_answer(_row(row), c, adm) for c in Category.objects.all())
    assert not routing.officials_without_categories().exclude(appendix_row=26).exists()


def test_appendix_2_row_1_gets_no_executors_notice_where_row_3_executes(reference_data, citizen):
    """Appendix 2 rows 1–3, §6.1: registering «Ямы на дорогах» to the Администрация notifies its executor
    (row 3) and not the moderators (rows 1–2); «Не убран снег» (no executor) notifies rows 1–2."""
    dilman, dementyev, balotina = _row(1).user, _row(2).user, _row(3).user
    potholes = registered(citizen, _category("Ямы на дорогах"), dilman)
    assigned = Notification.objects.filter(message=potholes, kind="assigned")
    assert [n.recipient for n in assigned] == [balotina]
    snow = registered(citizen, _category("Не убран снег"), dementyev)
    assigned = Notification.objects.filter(message=snow, kind="assigned")
    assert sorted(n.recipient.email for n in assigned) == sorted([dilman.email, dementyev.email])
    assert list(executor_queue(_row(1))) == [snow]
    assert list(executor_queue(_row(3))) == [potholes]


# --- the permission, in the small world of tests/conftest.py --------------------------------------


def test_moderator_cannot_answer_where_the_organisation_has_an_executor(
    citizen, category, moderator, executor
):
    """DESIGN.md "Who uses it", Appendix 2 rows 1–3: the Администрация has an executor of potholes, so
    its moderator of potholes may not answer (service refusal, 404 on the answer page, no queue)."""
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError):
        services.message_answer(message=message, actor=moderator, kind="solved", text="Сделано.")
    with pytest.raises(MessageActionError):
        services.message_request_reassign(message=message, actor=moderator, comment="Не наше.")
    assert not executor_queue(moderator.official).exists()
    assert message in executor_queue(executor.official)


def test_moderator_answers_where_the_organisation_has_no_executor(
    client, citizen, world, other_category_moderator
):
    """DESIGN.md "Holes in Appendix 2": lighting at the Администрация has no executor, so its moderator
    answers — and gets the executors' notice when the message is routed there."""
    message = registered(citizen, world["lighting"], other_category_moderator)
    assert Notification.objects.filter(
        message=message, kind="assigned", recipient=other_category_moderator
    ).exists()
    client.force_login(other_category_moderator)
    assert client.get(reverse("office:answer", args=[message.number])).status_code == 200
    services.message_answer(message=message, actor=other_category_moderator, kind="solved", text="Починили.")
    message.refresh_from_db()
    assert message.state == "answered"


def test_when_the_last_executor_retires_the_moderator_takes_over(citizen, category, moderator, executor):
    """The rule counts active executors: a message is never left with nobody to answer it."""
    message = registered(citizen, category, moderator)
    assert not routing.can_answer(moderator.official, category, category.responsible_organization)
    executor.official.is_active = False
    executor.official.save()
    assert routing.can_answer(moderator.official, category, category.responsible_organization)
    assert list(executor_queue(moderator.official)) == [message]
    # and a new executor takes the answers back
    from tests.factories import OfficialFactory

    OfficialFactory(
        user=UserFactory(email="new@adm.ru"),
        organization=category.responsible_organization,
        role="executor",
        categories=[category],
    )
    assert not routing.can_answer(moderator.official, category, category.responsible_organization)


def test_registration_is_refused_where_nobody_answers(citizen, world, moderator):
    """An organisation with neither an executor nor a moderator of the category cannot be chosen."""
    message = submit(citizen, world["potholes"])
    with pytest.raises(MessageActionError, match="нет сотрудника"):
        services.message_register(message=message, actor=moderator, executing_organization=world["kbu"])


# --- the "who handles what" page ------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    """An administrator outside the small world of tests/conftest.py (whose categories share keys with the
    real ones and would shadow them in `bootstrap`)."""
    return UserFactory(email="root@city.ru", is_staff=True, is_superuser=True)


def test_who_handles_what_names_the_gaps_of_appendix_2(client, superuser, reference_data):
    """Appendix 2: «Другая проблема» (row 12) and «Машина на газоне» (row 14) have executors but no
    moderator, so only the platform monitors (rows 18–19) moderate them; row 26 (ООО «Ремстройсервис»,
    Букин О. В.) has no problem type. The page names both and never says «Пробелов нет»."""
    client.force_login(superuser)
    response = client.get(reverse("admin:directory_coverage"))
    page = response.content.decode()
    assert "Пробелов нет" not in page
    assert [c.name for c in response.context["supervisors_only"]] == ["Машина на газоне", "Другая проблема"]
    assert "модерирует только мониторинг работы платформы" in page
    assert "«Машина на газоне», «Другая проблема»" in page
    assert [o.appendix_row for o in response.context["without_categories"]] == [26]
    assert "Букин Олег Васильевич</a>, ООО «Ремстройсервис», исполнитель (строка 26 Приложения 2)" in page
    # where the moderator answers because Appendix 2 names no executor
    answered_by_moderators = {(c.name, str(o)) for c, o in response.context["moderators_answer"]}
    assert ("Освещение", "МП «Горэлектросеть»") in answered_by_moderators
    assert ("Ямы на дорогах", "Администрация") not in answered_by_moderators
    assert response.context["gaps"] == 0


def test_who_handles_what_says_no_gaps_only_when_there_are_none(
    client, admin_user, world, moderator, executor
):
    """The «Пробелов нет» line needs an own moderator and an answerer everywhere and nobody idle."""
    world["lighting"].delete()
    client.force_login(admin_user)
    page = client.get(reverse("admin:directory_coverage")).content.decode()
    assert "Пробелов нет" in page
    from tests.factories import OfficialFactory

    OfficialFactory(
        user=UserFactory(email="idle@adm.ru"), organization=world["administration"], role="executor"
    )
    page = client.get(reverse("admin:directory_coverage")).content.decode()
    assert "Пробелов нет" not in page and "Должностные лица без категорий" in page
