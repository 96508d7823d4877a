"""§2.5 under concurrency: the category's row lock settles two officials adding or reordering typical
questions at once. PostgreSQL only (SQLite serialises every writer on one file lock)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from directory import services
from directory.models import FaqEntry
from tests.messages.test_concurrency import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (DATABASE_URL)"
    ),
]


def test_s2_5_parallel_additions_get_distinct_places_and_one_wording(executor, moderator, category):
    results = run_at_once(
        *[
            lambda n=n, who=who: services.faq_entry_create(
                category_id=category.pk, official=who.official, question=f"Вопрос {n}", answer="."
            )
            for n, who in enumerate([executor, moderator] * 3)
        ],
        lambda: services.faq_entry_create(
            category_id=category.pk, official=executor.official, question="Общий", answer="."
        ),
        lambda: services.faq_entry_create(
            category_id=category.pk, official=moderator.official, question="общий", answer="."
        ),
    )
    errors = [value for kind, value in results if kind == "error"]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    orders = list(FaqEntry.objects.filter(category=category).values_list("order", flat=True))
    assert sorted(orders) == list(range(1, 8))
