"""Reads of reference data that pages share."""

from django.db.models import Prefetch, QuerySet

from . import stewardship
from .models import Category, FaqEntry, Official, Organization, Topic, TopicProposal


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


# --- the organisations' own data in the back-office (§2.2, §2.5, §2.7) ------------------------------


def faq_categories_for(official: Official | None) -> QuerySet[Category]:
    """The categories whose FAQ the official keeps (directory.stewardship), each with all its entries,
    hidden ones included, in the order citizens read them."""
    entries = FaqEntry.objects.order_by("order", "id")
    return (
        stewardship.faq_categories(official)
        .select_related("topic")
        .order_by("topic__order", "order", "name")
        .prefetch_related(Prefetch("faq_entries", queryset=entries, to_attr="all_faq"))
    )


def faq_entry_for(official: Official | None, entry_id: int) -> FaqEntry | None:
    """One FAQ entry the official may edit; None for any other (the view answers 404)."""
    return (
        FaqEntry.objects.select_related("category")
        .filter(pk=entry_id, category__in=stewardship.faq_categories(official).values("pk"))
        .first()
    )


def proposal_categories() -> QuerySet[Category]:
    """The categories a proposal may change (§2.7): any in use; the administrators decide."""
    return Category.objects.filter(is_active=True).select_related("topic").order_by("topic__order", "order")


def proposal_organizations() -> QuerySet[Organization]:
    return Organization.objects.filter(is_active=True).order_by("short_name")


def organization_proposals(official: Official | None) -> QuerySet[TopicProposal]:
    """The proposals of the official's organisation, newest first, with their decisions."""
    if official is None:
        return TopicProposal.objects.none()
    return (
        TopicProposal.objects.filter(proposing_organization_id=official.organization_id)
        .select_related("changes_category", "responsible_organization", "proposed_by")
        .order_by("-created_at")
    )
