"""What the back-office keeps per official (issue 14, moderation/officecache.py) and the queue rows built
without the template engine (moderation/rows.py): a change shows at once in the queue and counts of
every official who sees the message, no official ever reads another's, and the rows are the markup the
templates wrote."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache, caches
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from messages import services
from messages.models import Message
from moderation import rows, selectors
from tests.factories import registered, submit

pytestmark = pytest.mark.django_db
QUEUE = reverse("office:moderation_queue")
ANSWERS = reverse("office:answer_queue")
HOME = reverse("office:home")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the versions live in the shared cache
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the block leaves for after the commit, as a real request's commit would: the staff
    version is bumped on commit (the test's own transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def total(response):
    return int(re.search(r"Всего: (\d+)\.", response.content.decode()).group(1))


def numbers(response):
    """The numbers in a queue's rows, read from the page (a page served as kept has no context)."""
    return re.findall(r'<td data-label="Номер"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def home_count(response, name):
    return int(re.search(rf'data-count="{name}">(\d+)<', response.content.decode()).group(1))


def test_a_registration_leaves_every_queue_at_once(
    client, moderator, supervisor, other_category_moderator, category, citizen, world, committed
):
    first = submit(citizen, category, text="Первая яма")
    second = submit(citizen, category, text="Вторая яма")
    lamp = submit(citizen, world["lighting"], text="Не горит фонарь")
    seen = {}
    for official, expected in (
        (moderator, {first.number, second.number}),
        (supervisor, {first.number, second.number, lamp.number}),
        (other_category_moderator, {lamp.number}),
    ):
        client.force_login(official)
        for _ in range(2):  # the second visit is served from what was kept
            response = client.get(QUEUE)
            assert set(numbers(response)) == expected
            assert total(response) == len(expected)
        seen[official] = home_count(client.get(HOME), "moderation-total")
    assert seen == {moderator: 2, supervisor: 3, other_category_moderator: 1}

    with committed():
        services.message_register(message=first, actor=moderator)
    for official, expected in (
        (moderator, [second.number]),
        (supervisor, [second.number, lamp.number]),
        (other_category_moderator, [lamp.number]),
    ):
        client.force_login(official)
        response = client.get(QUEUE)
        assert sorted(numbers(response)) == sorted(expected)
        assert total(response) == len(expected)
        assert first.number not in response.content.decode()
        assert home_count(client.get(HOME), "moderation-total") == len(expected)


def test_an_answer_leaves_the_answer_queue_and_the_home_tile_at_once(
    client, moderator, executor, category, citizen, committed
):
    message = registered(citizen, category, moderator, text="Яма у школы")
    client.force_login(executor)
    assert numbers(client.get(ANSWERS)) == [message.number]
    assert client.get(HOME).context["summary"]["answers"]["total"] == 1
    with committed():
        services.message_answer(message=message, actor=executor, kind="solved", text="Заделали.")
    response = client.get(ANSWERS)
    assert numbers(response) == []
    assert total(response) == 0
    assert client.get(HOME).context["summary"]["answers"]["total"] == 0


def test_a_new_message_and_a_changed_scope_show_at_once(
    client, moderator, category, citizen, world, committed
):
    client.force_login(moderator)
    assert total(client.get(QUEUE)) == 0
    with committed():
        message = submit(citizen, category)
    assert numbers(client.get(QUEUE)) == [message.number]
    lamp = submit(citizen, world["lighting"])
    with committed():
        moderator.official.categories.add(world["lighting"])
    response = client.get(QUEUE)
    assert set(numbers(response)) == {message.number, lamp.number}
    assert total(response) == 2
    # the filter form offers the new category at once too
    assert f'<option value="{world["lighting"].pk}">' in response.content.decode()


def test_duplicate_hints_and_earlier_messages_follow_new_messages(
    client, moderator, category, citizen, committed
):
    message = submit(citizen, category, text="Глубокая яма на дороге у дома 5")
    review = reverse("office:review", args=[message.number])
    client.force_login(moderator)
    assert client.get(review).context["duplicates"] == []
    page = client.get(review).content.decode()  # kept
    assert "Похожих сообщений не найдено." in page and "Других сообщений нет." in page
    with committed():
        twin = submit(citizen, category, text="Глубокая яма на дороге у дома 5, снова")
    response = client.get(review)
    assert [d.message.number for d in response.context["duplicates"]] == [twin.number]
    assert [e.number for e in response.context["earlier"]] == [twin.number]


def test_kept_values_are_per_official(
    client, moderator, supervisor, other_category_moderator, citizen, world
):
    """Keys carry the official: the supervisor's count (every category) is never another's."""
    submit(citizen, world["potholes"])
    submit(citizen, world["lighting"])
    client.force_login(supervisor)
    assert total(client.get(QUEUE)) == 2
    client.force_login(other_category_moderator)
    assert total(client.get(QUEUE)) == 1
    client.force_login(moderator)
    assert total(client.get(QUEUE)) == 1
    keys = [key.split(":", 2)[-1] for key in caches["pages"]._cache]
    officials = {key.split(":")[1] for key in keys if key.startswith("office:")}
    assert officials == {str(o.official.pk) for o in (moderator, supervisor, other_category_moderator)}


def test_the_home_counts_follow_the_clock_within_a_minute(
    client, moderator, executor, category, citizen, time_machine
):
    """Nothing is saved when a deadline passes: the kept counts are per minute."""
    message = registered(citizen, category, moderator)
    time_machine.move_to(message.answer_due - timedelta(minutes=5))
    client.force_login(executor)
    assert client.get(HOME).context["summary"]["answers"]["overdue"] == 0
    time_machine.move_to(message.answer_due + timedelta(minutes=1))
    assert client.get(HOME).context["summary"]["answers"]["overdue"] == 1


# --- the rows are the markup the templates wrote ---------------------------------------------------

OLD_MODERATION_ROW = Template(
    """{% load office %}{% for m in rows %}
    <tr{% if m.registration_due < now %} class="overdue"{% endif %}>
      <td data-label="Номер"><a href="{% url 'office:review' number=m.number %}">{{ m.number }}</a></td>
      <td data-label="Категория">{{ m.category }}</td>
      <td data-label="Суть">{% if m.text %}{{ m.text|truncatechars:110 }}{% else %}<span class="muted">{{ m.no_text_label }}</span>{% endif %}<br><span class="muted">{{ m.address }}{% if m.photo_count %} · фото: {{ m.photo_count }}{% endif %}</span></td>
      <td data-label="Поступило"><time datetime="{{ m.submitted_at|date:'c' }}">{{ m.submitted_at|date:"d.m.Y H:i" }}</time></td>
      <td data-label="Срок">{% deadline m.registration_due %}</td>
    </tr>
  {% endfor %}"""
)
OLD_ANSWER_ROW = Template(
    """{% load office %}{% for m in rows %}
    <tr{% if m.answer_due < now %} class="overdue"{% endif %}>
      <td data-label="Номер"><a href="{% url 'office:review' number=m.number %}">{{ m.number }}</a></td>
      <td data-label="Категория">{{ m.category }}</td>
      <td data-label="Суть">{% if m.text %}{{ m.text|truncatechars:110 }}{% else %}<span class="muted">{{ m.no_text_label }}</span>{% endif %}<br><span class="muted">{{ m.address }}</span></td>
      <td data-label="Состояние">{% if m.state == "rework" %}<span class="badge badge-rework">на доработке{% if m.rework_count > 1 %} ({{ m.rework_count }}-й раз){% endif %}</span>{% else %}{{ m.get_state_display }}{% endif %}</td>
      <td data-label="Срок">{% deadline m.answer_due %}</td>
      <td><a class="button button-small" href="{% url 'office:answer' number=m.number %}">Ответить<span class="visually-hidden"> на {{ m.number }}</span></a></td>
    </tr>
  {% endfor %}"""
)


def test_queue_rows_are_the_markup_of_the_old_template(supervisor, moderator, executor, world, citizen):
    from tests.factories import processed_photos

    now = timezone.now()
    long_text = "<b>Яма</b> & «лужа» " * 12  # escaped and cut at 110 characters
    submit(citizen, world["potholes"], text=long_text, now=now - timedelta(days=10))  # overdue
    submit(citizen, world["lighting"], text="", photos=processed_photos(2))  # photos only
    submit(citizen, world["potholes"], text="Сегодня", now=now - timedelta(days=3))
    submit(citizen, world["potholes"], text='Адрес с "кавычками"')
    Message.objects.filter(text__startswith="Адрес").update(address='ул. "Мира" <5>')
    official = supervisor.official
    queue = selectors.moderation_queue(official)
    new = rows.moderation_rows(queue.values_list(*rows.MODERATION_ROW_FIELDS, named=True), now)
    old = OLD_MODERATION_ROW.render(Context({"rows": list(queue), "now": now}))
    assert new == old
    assert "&lt;b&gt;" in new and "badge-overdue" in new and "фото: 2" in new

    answered = []
    for text in ("Первая", "<i>Вторая</i>", ""):
        message = registered(citizen, world["potholes"], moderator, text=text or "x")
        answered.append(message)
    rework = answered[0]
    Message.objects.filter(pk=rework.pk).update(state="rework", rework_count=2)
    answers = selectors.answer_queue(executor.official)
    later = now + timedelta(days=30)  # every answer term passed: «просрочено»
    for moment in (now, later):
        new = rows.answer_rows(answers.values_list(*rows.ANSWER_ROW_FIELDS, named=True), moment)
        old = OLD_ANSWER_ROW.render(Context({"rows": list(answers), "now": moment}))
        assert new == old
    assert "(2-й раз)" in new and "badge-overdue" in new


def test_the_review_page_is_the_same_with_its_kept_parts(
    client, moderator, executor, category, citizen, committed
):
    """Duplicate hints, earlier messages and the register form's fields kept: the same page, and an
    organisation newly routed the category is offered among the category's own at once."""
    from directory.models import Organization

    submit(citizen, category, text="Яма на дороге у дома 5")
    message = submit(citizen, category, text="Яма на дороге у дома 5, глубокая")
    newcomer = Organization.objects.create(key="new-org", name="Новая контора", short_name="Новая контора")
    review = reverse("office:review", args=[message.number])
    client.force_login(moderator)

    def own_organisations():
        html = client.get(review).content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        own = html.split('<optgroup label="Работают с категорией">')[1].split("</optgroup>")[0]
        return html, own

    first, own = own_organisations()
    assert own_organisations()[0] == first
    assert "Новая контора" in first and "Новая контора" not in own
    with committed():
        category.participating_organizations.add(newcomer)
    assert "Новая контора" in own_organisations()[1]
