"""Who handles a category: the routing rule of DESIGN.md, derived from the Official rows alone.

- Moderators of a category are the officials with the moderator role serving it; supervisors
  (Appendix 2 «Мониторинг работы платформы») moderate every category, which also covers the categories
  Appendix 2 left without a moderator («Другая проблема», «Машина на газоне»).
- Who may answer a message routed to an organisation (`category_answerers`, `can_answer`): that
  organisation's executors serving the category; only where the organisation has no (active) executor for
  the category do its moderators of the category answer (DESIGN.md, "Who uses it" and "Holes in
  Appendix 2"). Appendix 2 names a moderator and executors for most categories, and §6.1 gives the answer
  to the executors there: rows 1–2 do not answer «Ямы на дорогах» (row 3 does), row 5 does not answer
  «Строительство» (rows 6–8), row 9 not «Наказ депутату» (row 10). Where Appendix 2 names no executor
  («Освещение» at МП «Горэлектросеть», «Не убран снег», «Коронавирус» …) the moderator answers, so no
  category is left without someone to answer. The rule counts active executors only: when the last one
  retires, the organisation's moderators take the messages over instead of leaving them orphaned.
  The executors' notices (a message routed, returned for rework, a deadline near) go to the same people.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def official_with_organization(user: Any, **annotations: Any) -> Official | None:
    """`user.official` (active or not) with its organisation in one query (every staff page shows both),
    left in the relation's cache so that later `user.official` reads cost nothing either. Whoever asks
    first in a request (the staff guard's middleware) should ask here, and may have `annotations` (SQL
    expressions over the official's row) read in the same query; a later call finds the cached row."""
    relation = Official._meta.get_field("user").remote_field
    if not relation.is_cached(user):
        # One row at most (a one-to-one): no ordering, whose joins and compilation cost every staff request
        officials = Official.objects.select_related("organization").filter(user=user).order_by()
        if annotations:
            officials = officials.annotate(**annotations)
        official = next(iter(officials), None)
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


def _has_executor(organization: Any, category: Any) -> Exists:
    """SQL: the organisation has an active executor serving the category (both may be OuterRefs)."""
    return Exists(
        active_officials().filter(role=Official.Role.EXECUTOR, organization=organization, categories=category)
    )


def moderator_answer_categories(official: Official) -> QuerySet[Category]:
    """The categories a moderator answers in: theirs, where their organisation has no active executor."""
    return official.categories.exclude(_has_executor(official.organization_id, OuterRef("pk")))


def category_answerers(category: Category, organization: Organization | None) -> QuerySet[Official]:
    """Who may answer a message of the category routed to the organization: its executors of the category,
    or, where it has none, its moderators of the category (one query)."""
    return (
        active_officials()
        .filter(organization=organization, categories=category)
        .filter(
            Q(role=Official.Role.EXECUTOR)
            | Q(role=Official.Role.MODERATOR) & ~_has_executor(organization, category)
        )
        .distinct()
    )


def answerers_among(serving: Iterable[Official]) -> list[Official]:
    """The same rule over officials already in memory: `serving` are the active officials of one
    organisation serving one category; the executors among them answer, or the moderators if none."""
    serving = list(serving)
    executors = [o for o in serving if o.role == Official.Role.EXECUTOR]
    return executors or [o for o in serving if o.role == Official.Role.MODERATOR]


def moderators_among(serving: Sequence[Official], supervisors: Sequence[Official]) -> list[Official]:
    """Who owes the decision on a new message (§5.4), in memory: the category's moderators among
    `serving`, or the supervisors where Appendix 2 names none (the deadline reminders go to the same)."""
    moderators = [o for o in serving if o.role == Official.Role.MODERATOR]
    return moderators or list(supervisors)


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
    if official.role not in (Official.Role.EXECUTOR, Official.Role.MODERATOR):
        return False
    # The one rule of `category_answerers`, so the permission and the notices never disagree.
    return category_answerers(category, organization).filter(pk=official.pk).exists()


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
            answerers = answerers_among(o for o in serving if o.organization_id == org.pk)
            organizations.append(
                {
                    "organization": org,
                    "answerers": answerers,
                    # Appendix 2 names no executor here: the organisation's moderators answer.
                    "moderators_answer": any(o.role == Official.Role.MODERATOR for o in answerers),
                }
            )
        rows.append(
            {
                "category": category,
                "moderators": moderators,
                "moderated_by_supervisors_only": not moderators and bool(supervisors),
                "nobody_moderates": not moderators and not supervisors,
                "organizations": organizations,
                "nobody_answers": not any(o["answerers"] for o in organizations),
            }
        )
    return rows


def officials_without_categories() -> QuerySet[Official]:
    """Active moderators and executors who serve no category, so no message reaches them (Appendix 2
    row 26, ООО «Ремстройсервис», names no problem type). Supervisors and administrators need none."""
    return (
        active_officials()
        .filter(role__in=[Official.Role.MODERATOR, Official.Role.EXECUTOR], categories__isnull=True)
        .select_related("user", "organization")
        .order_by("organization__short_name", "user__full_name")
    )
