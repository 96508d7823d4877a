"""Reads of reference data that pages share."""

from django.db.models import Prefetch, QuerySet

from .models import Category, FaqEntry, Official, Organization, Topic


def active_topics_with_categories() -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True).prefetch_related(
        Prefetch("categories", queryset=Category.objects.filter(is_active=True).order_by("order", "name"))
    )


def public_organizations() -> QuerySet[Organization]:
    """Organisations with the categories they handle, as responsible or participating (§1.2 справочные данные)."""
    active = Category.objects.filter(is_active=True).order_by("topic__order", "order")
    return Organization.objects.filter(is_active=True).prefetch_related(
        Prefetch("responsible_for", queryset=active, to_attr="responsible_categories"),
        Prefetch("participates_in", queryset=active, to_attr="participating_categories"),
        Prefetch(
            "officials",
            queryset=Official.objects.filter(is_active=True)
            .exclude(role=Official.Role.ADMINISTRATOR)
            .select_related("user")
            .order_by("role", "user__full_name"),
            to_attr="public_officials",
        ),
    )


def faq_by_topic() -> QuerySet[Topic]:
    """§2.5: the published typical questions, grouped topic → category, in three queries."""
    published = FaqEntry.objects.filter(is_published=True).order_by("order", "id")
    categories = (
        Category.objects.filter(is_active=True)
        .order_by("order", "name")
        .prefetch_related(Prefetch("faq_entries", queryset=published, to_attr="published_faq"))
    )
    return Topic.objects.filter(is_active=True).prefetch_related(
        Prefetch("categories", queryset=categories, to_attr="active_categories")
    )


def open_category(key: str) -> Category | None:
    """A category that accepts messages now (active, in an active topic), by its key; None otherwise."""
    if not key:
        return None
    return (
        Category.objects.select_related("topic")
        .filter(key=key, is_active=True, topic__is_active=True)
        .first()
    )


def category_faq(category: Category | None) -> list[FaqEntry]:
    """§2.5: the typical questions of one category, shown before the citizen writes."""
    if category is None:
        return []
    return list(FaqEntry.objects.filter(category=category, is_published=True).order_by("order", "id"))
