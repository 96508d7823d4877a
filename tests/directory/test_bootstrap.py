import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from directory import routing
from directory.models import Category, Official, Organization

pytestmark = pytest.mark.django_db


def _counts():
    models = [m for m in apps.get_models() if m._meta.app_label in {"accounts", "directory", "auth"}]
    return {m._meta.label: m.objects.count() for m in models}


def test_bootstrap_twice_leaves_identical_rows():
    call_command("bootstrap", stdout=io.StringIO())
    first = _counts()
    call_command("bootstrap", stdout=io.StringIO())
    assert _counts() == first
    assert first["directory.Official"] == 34
    assert first["directory.Organization"] == 15
    assert first["directory.Category"] == 14


def test_staff_accounts_have_no_usable_password_and_admins_get_admin_access(reference_data):
    for official in Official.objects.select_related("user"):
        assert not official.user.has_usable_password()
    admins = Official.objects.filter(role=Official.Role.ADMINISTRATOR).select_related("user")
    assert sorted(a.appendix_row for a in admins) == [21, 22, 23]
    for admin in admins:
        assert admin.user.is_staff
        assert admin.user.has_perm("directory.change_category")
        assert not admin.user.is_superuser
    moderator = Official.objects.get(appendix_row=1).user
    assert not moderator.is_staff


def test_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("bootstrap", "--demo", stdout=io.StringIO())


def test_demo_prints_logins_and_sets_passwords(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("bootstrap", "--demo", stdout=out)
    assert "citizen@demo.zarechny.local" in out.getvalue()
    assert Official.objects.get(appendix_row=1).user.check_password("zarechny-demo")
    from messages.models import Message, State

    # Every state a visitor can see; a withdrawn message (account deleted) is shown nowhere.
    assert set(Message.objects.values_list("state", flat=True)) == set(State.values) - {State.WITHDRAWN}
    assert Message.objects.filter(photos__isnull=False).exists()
    # A second run adds no more demo messages.
    count = Message.objects.count()
    call_command("bootstrap", "--demo", stdout=io.StringIO())
    assert Message.objects.count() == count
    assert Message.objects.count() == count


def _names(officials):
    return sorted(o.user.full_name.split()[0] for o in officials)


# Appendix 2, read by hand: category → surnames of its moderators, and per organisation its answerers.
EXPECTED = {
    # Issue 13.9: a moderator answers only where the organisation has no executor of the category.
    "Ямы на дорогах": (["Дементьев", "Дильман"], {"Администрация": ["Балотина"]}),
    "Неубранный мусор": (["Дементьев", "Дильман"], {"Администрация": ["Максимова"]}),
    "Не убран снег": (["Дементьев", "Дильман"], {"Администрация": ["Дементьев", "Дильман"]}),
    "Освещение": (
        ["Дементьев", "Дильман", "Шошкин"],
        {"МП «Горэлектросеть»": ["Шошкин"], "Администрация": ["Дементьев", "Дильман"]},
    ),
    "Наказ депутату": (["Пензин"], {"Собрание представителей": ["Кравецкая"]}),
    "Строительство": (["Палаткин"], {"Администрация": ["Королева", "Соболева", "Чугунова"]}),
    "Другая проблема": ([], {"Администрация": ["Киндяева"]}),
    "Машина на газоне": ([], {"Администрация": ["Алмаев"]}),
    "Коронавирус": (["Климанов"], {"Администрация": ["Климанов"]}),
    "Обеспечение мобильности": (["Мельников"], {"Департамент социального развития": ["Мельников"]}),
    "Бродячие животные": (["Новожилова"], {"МКУ «Управление МТО»": ["Новожилова"]}),
    "Благоустройство": (
        ["Дементьев", "Дильман"],
        {"Администрация": ["Лямуков"], "МКУ «КБУ»": ["Симаков"]},
    ),
}


@pytest.mark.parametrize("category_name", sorted(EXPECTED))
def test_who_moderates_and_answers_matches_appendix_2(reference_data, category_name):
    category = Category.objects.get(name=category_name)
    moderators, answerers = EXPECTED[category_name]
    assert _names(routing.category_moderators(category)) == moderators
    for short_name, names in answerers.items():
        org = Organization.objects.get(short_name=short_name)
        assert _names(routing.category_answerers(category, org)) == names, short_name


def test_housing_problems_go_to_six_organisations(reference_data):
    category = Category.objects.get(name="Проблемы ЖКХ")
    orgs = category.executing_organizations()
    assert len(orgs) == 6
    assert orgs[0].short_name == "МУП «ЖСКХ»"
    answering = {o.short_name: _names(routing.category_answerers(category, o)) for o in orgs}
    assert answering["ООО «ЭнергоПромРесурс»"] == ["Болонов", "Вельдин", "Киляков"]
    assert answering["ООО «Управдом»"] == ["Канцерова", "Кулькова"]
    assert _names(routing.category_moderators(category)) == ["Дементьев", "Дильман"]


def test_supervisors_moderate_every_category_and_row_26_has_none(reference_data):
    supervisors = Official.objects.filter(role=Official.Role.SUPERVISOR)
    assert sorted(s.appendix_row for s in supervisors) == [18, 19]
    for category in Category.objects.all():
        assert all(routing.can_moderate(s, category) for s in supervisors)
    row26 = Official.objects.get(appendix_row=26)
    assert row26.role == Official.Role.EXECUTOR
    assert row26.categories.count() == 0


def test_coverage_flags_no_gaps_in_appendix_2(reference_data):
    rows = {r["category"].name: r for r in routing.coverage()}
    assert not [n for n, r in rows.items() if r["nobody_moderates"] or r["nobody_answers"]]
    assert rows["Другая проблема"]["moderated_by_supervisors_only"]
    assert rows["Машина на газоне"]["moderated_by_supervisors_only"]


# --- issue 10.1: bootstrap never undoes an administrator ------------------------------------------


def _administrators_changes():
    """What an administrator does in /admin/: rename a topic, put in an official's real address, take a
    category away from one official and change another's role."""
    from directory.models import Topic

    topic = Topic.objects.get(key="roads")
    topic.name = "Дороги, тротуары и транспорт"
    topic.save()
    dilman = Official.objects.select_related("user").get(appendix_row=1)
    dilman.user.email = "i.dilman@zarechny.example"
    dilman.user.save()
    dilman.categories.remove(Category.objects.get(key="lighting"))
    balotina = Official.objects.get(appendix_row=3)
    balotina.role = Official.Role.MODERATOR
    balotina.save()


def _assert_changes_kept():
    from django.contrib.auth import get_user_model

    from directory.models import Topic

    assert Topic.objects.get(key="roads").name == "Дороги, тротуары и транспорт"
    dilman = Official.objects.select_related("user").get(appendix_row=1)
    assert dilman.user.email == "i.dilman@zarechny.example"
    assert not dilman.categories.filter(key="lighting").exists()
    assert dilman.categories.count() == 6
    assert Official.objects.get(appendix_row=3).role == Official.Role.MODERATOR
    # The placeholder address did not come back as a second account either.
    assert not get_user_model().objects.filter(email="row01.dilman.i@staff.zarechny.invalid").exists()


def test_administrators_changes_survive_bootstrap_runs(reference_data):
    _administrators_changes()
    call_command("bootstrap", stdout=io.StringIO())
    call_command("bootstrap", stdout=io.StringIO())
    _assert_changes_kept()


def test_administrators_changes_survive_make_run_start_up(reference_data, settings):
    """`make run` calls `bootstrap --demo` on every start."""
    settings.DEBUG = True
    _administrators_changes()
    call_command("bootstrap", "--demo", stdout=io.StringIO())
    call_command("bootstrap", "--demo", stdout=io.StringIO())
    _assert_changes_kept()


def test_rows_an_administrator_deleted_stay_deleted(reference_data):
    """A removed official (and with it the access) or a deleted FAQ entry is not brought back either."""
    from directory.models import FaqEntry

    Official.objects.get(appendix_row=26).delete()
    entry = FaqEntry.objects.order_by("pk").first()
    entry.delete()
    call_command("bootstrap", stdout=io.StringIO())
    assert not Official.objects.filter(appendix_row=26).exists()
    assert not FaqEntry.objects.filter(question=entry.question, category=entry.category).exists()
    out = io.StringIO()
    call_command("bootstrap", "--check", stdout=out)
    assert "directory.Official appendix_row=26: нет в базе (удалена, bootstrap её не восстанавливает)" in (
        out.getvalue()
    )


def test_an_unverified_account_with_a_staff_address_gets_no_role(db):
    """Someone signed up with an Appendix 2 address before the first bootstrap: no role for them."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(email="row21.alekseev.m@staff.zarechny.invalid", password="x" * 12)
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    assert not Official.objects.filter(appendix_row=21).exists()
    assert "строка 21 приложения 2" in out.getvalue()


def test_check_lists_differences_and_writes_nothing(reference_data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _administrators_changes()
    history = {
        m._meta.label: m.objects.count() for m in apps.get_models() if m.__name__.startswith("Historical")
    }
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("bootstrap", "--check", stdout=out)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert history == {
        m._meta.label: m.objects.count() for m in apps.get_models() if m.__name__.startswith("Historical")
    }
    _assert_changes_kept()
    text = out.getvalue()
    assert "Отличий базы от fixtures/: 4" in text
    assert (
        "directory.Topic key=«roads» · name: в базе «Дороги, тротуары и транспорт», "
        "в fixtures «Дороги и транспорт»"
    ) in text
    assert (
        "directory.Official appendix_row=1 · user.email: в базе «i.dilman@zarechny.example», "
        "в fixtures «row01.dilman.i@staff.zarechny.invalid»"
    ) in text
    assert "directory.Official appendix_row=3 · role: в базе «moderator», в fixtures «executor»" in text
    categories_line = next(line for line in text.splitlines() if "appendix_row=1 · categories" in line)
    assert "Освещение" in categories_line.split("в fixtures")[1]
    assert "Освещение" not in categories_line.split("в fixtures")[0]


def test_check_on_a_fresh_bootstrap_finds_nothing(reference_data):
    out = io.StringIO()
    call_command("bootstrap", "--check", stdout=out)
    assert out.getvalue().strip() == "Справочные данные совпадают с fixtures/."


def test_make_run_start_up_survives_a_removed_demo_official(reference_data, settings):
    settings.DEBUG = True
    Official.objects.get(appendix_row=1).delete()
    out = io.StringIO()
    call_command("bootstrap", "--demo", stdout=out)
    assert not Official.objects.filter(appendix_row=1).exists()
    assert "row01" not in out.getvalue()


def _demo_login_works(client, email):
    response = client.post("/accounts/login/", {"login": email, "password": "zarechny-demo"}, follow=True)
    assert response.wsgi_request.user.is_authenticated, response.redirect_chain
    assert "Подтвердите адрес" not in response.content.decode()


def test_demo_start_up_after_an_administrator_changed_a_demo_officials_address(
    reference_data, settings, client
):
    """`make run` once, an administrator puts in the official's real address, `make run` again: the second
    start-up used to fail (a second primary address for the account); now it starts and the printed login
    (the new address) works as printed."""
    settings.DEBUG = True
    call_command("bootstrap", "--demo", stdout=io.StringIO())
    dilman = Official.objects.get(appendix_row=1).user
    dilman.email = "i.dilman@zarechny.example"
    dilman.save()
    out = io.StringIO()
    call_command("bootstrap", "--demo", stdout=out)
    call_command("bootstrap", "--demo", stdout=io.StringIO())
    assert "i.dilman@zarechny.example" in out.getvalue()
    dilman.refresh_from_db()
    assert dilman.email == "i.dilman@zarechny.example"
    _demo_login_works(client, "i.dilman@zarechny.example")


def test_demo_start_up_does_not_give_back_admin_access(reference_data, settings):
    """An administrator took the admin site away from a demo administrator (is_staff off): `make run` does
    not turn it back on."""
    settings.DEBUG = True
    admin = Official.objects.get(appendix_row=21).user
    admin.is_staff = False
    admin.save()
    call_command("bootstrap", "--demo", stdout=io.StringIO())
    admin.refresh_from_db()
    assert not admin.is_staff


def test_demo_logins_are_the_last_lines_and_work(reference_data, settings, client):
    """The logins close the output and each works as printed (no «Подтвердите адрес» stop)."""
    settings.DEBUG = True
    out = io.StringIO()
    call_command("bootstrap", "--demo", stdout=out)
    lines = out.getvalue().rstrip().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Демонстрационные входы"))
    logins = [line.split()[0] for line in lines[header + 1 :]]
    assert len(logins) == 8 and all("@" in email for email in logins)
    for email in logins:
        _demo_login_works(client, email)
        client.logout()


def test_demo_wakes_the_worker_once_not_once_per_notice(
    reference_data, settings, django_capture_on_commit_callbacks
):
    """The demo queues about a hundred notices in one transaction; each used to add its own wake-up (a
    hundred queued tasks and log lines after the printed logins, and as many runs of the worker)."""
    from messages.outbox import enqueue_outbox_delivery

    settings.DEBUG = True
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("bootstrap", "--demo", stdout=io.StringIO())
    assert [c for c in callbacks if c is enqueue_outbox_delivery] == [enqueue_outbox_delivery]
