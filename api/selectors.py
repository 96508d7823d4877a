"""The API's reads: public messages only, through the core's public selector (§4.8), with what a request's
fields need fetched in a constant number of queries."""

from django.db.models import Prefetch

from directory.models import Category
from messages.deadlines import mark_answer_overdue
from messages.models import Answer, Photo
from messages.selectors import public_messages


def active_services():
    return (
        Category.objects.filter(is_active=True, topic__is_active=True)
        .select_related("topic")
        .order_by("topic__order", "topic__name", "order", "name")
    )


def public_requests():
    """Public messages with their category, executing organisation, answers and photos (prefetched)."""
    return (
        public_messages()
        .select_related("category__topic", "executing_organization")
        .prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("created_at", "id")),
            Prefetch("photos", queryset=Photo.objects.order_by("position", "id")),
        )
    )


def with_overdue(messages):
    """§6.2 in public: the lateness of each message's answer, as the public page shows it."""
    return mark_answer_overdue(messages)
