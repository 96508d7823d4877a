"""Reads of reference data that pages share."""

from django.db.models import Prefetch

from .models import Category, Official, Organization, Topic


def active_topics_with_categories():
    return Topic.objects.filter(is_active=True).prefetch_related(
        Prefetch("categories", queryset=Category.objects.filter(is_active=True).order_by("order", "name"))
    )


def public_organizations():
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
