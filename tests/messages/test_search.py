"""The public list's text search (issue 14): PostgreSQL full-text search with Russian stemming on the
stored, GIN-indexed vector, ranked; the SQLite default keeps a substring match."""

import pytest
from django.db import connection, transaction

from messages.models import Message
from messages.selectors import public_messages, search_messages
from tests.factories import registered

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the fallback of the SQLite default")


def numbers(queryset):
    return [m.number for m in queryset]


@on_postgresql
def test_russian_stemming_finds_other_forms_of_the_word(citizen, moderator, category):
    plural = registered(citizen, category, moderator, text="Во дворе глубокие ямы")
    genitive = registered(citizen, category, moderator, text="Нет ямы, но нет и асфальта")
    other = registered(citizen, category, moderator, text="Не горит фонарь")
    found = set(numbers(search_messages(public_messages(), "яма")))
    assert found == {plural.number, genitive.number}
    assert other.number not in found
    assert numbers(search_messages(public_messages(), "фонари")) == [other.number]


@on_postgresql
def test_search_is_ranked_text_above_address(citizen, moderator, category):
    in_address = registered(citizen, category, moderator, text="Не горит фонарь")  # «ул. Ленина, 5»
    in_text = registered(citizen, category, moderator, text="Яма на улице Ленина, у дома Ленина")
    ranked = search_messages(public_messages(), "Ленина").order_by("-search_rank", "-id")
    assert numbers(ranked) == [in_text.number, in_address.number]


@on_postgresql
def test_depth_keeps_the_newest_matches_only(citizen, moderator, category):
    made = [registered(citizen, category, moderator, text=f"Яма {i}") for i in range(4)]
    found = search_messages(public_messages(), "яма", depth=2)
    assert set(numbers(found)) == {made[3].number, made[2].number}


@on_postgresql
def test_search_uses_the_gin_index(citizen, moderator, category):
    registered(citizen, category, moderator, text="Яма")
    # Over all messages: with the public-state filter a tiny table may as well be read by the state index.
    query = search_messages(Message.objects.all(), "яма").order_by("-search_rank")
    sql, params = query.query.get_compiler(using="default").as_sql()
    with transaction.atomic(), connection.cursor() as cursor:
        # A test table is tiny and a sequential scan would win; the plan must still be able to use the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_search_vector" in plan, plan
    assert "search_vector @@" in plan


@on_postgresql
def test_the_vector_is_kept_up_to_date_by_postgresql(citizen, moderator, category):
    message = registered(citizen, category, moderator, text="Сломана скамейка")
    assert numbers(search_messages(public_messages(), "скамейки")) == [message.number]
    Message.objects.filter(pk=message.pk).update(text="Упало дерево")
    assert numbers(search_messages(public_messages(), "скамейки")) == []
    assert numbers(search_messages(public_messages(), "деревья")) == [message.number]


@on_sqlite
def test_sqlite_falls_back_to_a_substring_match(citizen, moderator, category):
    pothole = registered(citizen, category, moderator, text="Глубокая Яма у школы")
    registered(citizen, category, moderator, text="Сломан люк")
    assert numbers(search_messages(public_messages(), "яма")) == [pothole.number]
    assert numbers(search_messages(public_messages(), "ЯМ")) == [pothole.number]
    assert "search_rank" not in search_messages(public_messages(), "яма").query.annotations


def test_search_by_number(citizen, moderator, category):
    first = registered(citizen, category, moderator)
    registered(citizen, category, moderator)
    assert numbers(search_messages(public_messages(), "что-то", number=first.number)) == [first.number]
