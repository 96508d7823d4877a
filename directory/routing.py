"""Who handles a category: the routing rule of DESIGN.md, derived from the Official rows alone.

- Moderators of a category are the officials with the moderator role serving it; supervisors
  (Appendix 2 «Мониторинг работы платформы») moderate every category, which also covers the categories
  Appendix 2 left without a moderator («Другая проблема», «Машина на газоне»).
- Who may answer a message routed to an organisation: that organisation's executors serving the category,
  plus that organisation's moderators of the category — Appendix 2 gives several categories moderators
  but no executor («Освещение» at МП «Горэлектросеть»: its director moderates and answers).
"""

from typing import Any

from django.db.models import Q, QuerySet

from .models import Category, Official, Organization


def active_officials() -> QuerySet[Official]:
    """Officials whose role and account are both active: only they moderate or answer."""
    return Official.objects.filter(is_active=True, user__is_active=True)


def active_official(user: Any) -> Official | None:
    """The Official row of a user while both the row and the account are active, or None (citizens,
    guests, retired officials, blocked accounts): the instance form of `active_officials()` and the one
    place the "active official" rule is written."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    official: Official | None = official_with_organization(user)
    if official is None or not official.is_active:
        return None
    return official


def official_with_organization(user: Any) -> Official | None:
    """`user.official` (active or not) with its organisation in one query (every staff page shows both),
    left in the relation's cache so that later `user.official` reads cost nothing either. Whoever asks
    first in a request (the staff guard's middleware) should ask here."""
    relation = Official._meta.get_field("user").remote_field
    if not relation.is_cached(user):
        official = Official.objects.select_related("organization").filter(user=user).first()
        relation.set_cached_value(user, official)
        if official is not None:
            Official.user.field.set_cached_value(official, user)
    return getattr(user, "official", None)


def category_moderators(category: Category, *, include_supervisors: bool = False) -> QuerySet[Official]:
    """Who moderates the category: its moderators (and, if asked, the supervisors)."""
    role_q = Q(role=Official.Role.MODERATOR, categories=category)
    if include_supervisors:
        role_q |= Q(role=Official.Role.SUPERVISOR)
    return active_officials().filter(role_q).distinct()


def category_answerers(category: Category, organization: Organization | None) -> QuerySet[Official]:
    """Who may answer a message of the category routed to the organization."""
    return (
        active_officials()
        .filter(
            organization=organization,
            categories=category,
            role__in=[Official.Role.EXECUTOR, Official.Role.MODERATOR],
        )
        .distinct()
    )


def can_moderate(official: Official | None, category: Category) -> bool:
    if official is None or not official.is_active:
        return False
    if official.role == Official.Role.SUPERVISOR:
        return True
    return official.role == Official.Role.MODERATOR and official.categories.filter(pk=category.pk).exists()


def can_answer(official: Official | None, category: Category, organization: Organization | None) -> bool:
    if official is None or not official.is_active or organization is None:
        return False
    if official.organization_id != organization.pk:
        return False
    return official.role in (Official.Role.EXECUTOR, Official.Role.MODERATOR) and (
        official.categories.filter(pk=category.pk).exists()
    )


def coverage() -> list[dict[str, Any]]:
    """For every category: its moderators and, per organisation it can be routed to, who answers.

    Feeds the admin's "who handles what" page; a gap (nobody to moderate or to answer) is flagged there.
    """
    categories = (
        Category.objects.select_related("topic", "responsible_organization")
        .prefetch_related("participating_organizations")
        .order_by("topic__order", "order")
    )
    officials = list(active_officials().select_related("user", "organization").prefetch_related("categories"))
    supervisors = [o for o in officials if o.role == Official.Role.SUPERVISOR]
    rows: list[dict[str, Any]] = []
    for category in categories:
        serving = [o for o in officials if any(c.pk == category.pk for c in o.categories.all())]
        moderators = [o for o in serving if o.role == Official.Role.MODERATOR]
        organizations: list[dict[str, Any]] = []
        for org in category.executing_organizations():
            answerers = [
                o
                for o in serving
                if o.organization_id == org.pk and o.role in (Official.Role.EXECUTOR, Official.Role.MODERATOR)
            ]
            organizations.append({"organization": org, "answerers": answerers})
        rows.append(
            {
                "category": category,
                "moderators": moderators,
                "moderated_by_supervisors_only": not moderators,
                "nobody_moderates": not moderators and not supervisors,
                "organizations": organizations,
                "nobody_answers": not any(o["answerers"] for o in organizations),
            }
        )
    return rows
