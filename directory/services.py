"""Writes to reference data that are more than a plain admin edit."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import Category, Official, Organization, Topic, TopicProposal

if TYPE_CHECKING:
    from accounts.models import User

# The group of the platform administrators (Appendix 2); its permissions are set by loader.py.
ADMINISTRATORS_GROUP = "Администраторы системы"


def _unique_key(model: type[Topic] | type[Category], base: str) -> str:
    base = slugify(base, allow_unicode=False) or str(model._meta.model_name)
    key, n = base, 1
    while model.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def _pending_locked(proposal_id: int) -> TopicProposal:
    # Locked so that two administrators deciding at once decide (and apply the change) only once.
    proposal = TopicProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != TopicProposal.Status.PENDING:
        raise ValidationError("Решение по этому предложению уже принято.")
    return proposal


def _record_decision(proposal: TopicProposal, status: str, actor: "User", comment: str) -> TopicProposal:
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_comment = comment
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    return proposal


@transaction.atomic(durable=True)  # an entry point: one proposal, one decision
def topic_proposal_accept(*, proposal_id: int, actor: "User", comment: str = "") -> TopicProposal:
    """§2.7: apply an accepted proposal — create or change the topic and category it names."""
    proposal = _pending_locked(proposal_id)
    topic = Topic.objects.filter(name__iexact=proposal.topic_name).first()
    if topic is None:
        topic = Topic.objects.create(
            key=_unique_key(Topic, proposal.topic_name),
            name=proposal.topic_name,
            order=Topic.objects.count() + 1,
        )
    if proposal.category_name or proposal.changes_category_id:
        category = proposal.changes_category
        if category is None:
            category = Category(key=_unique_key(Category, proposal.category_name))
        category.topic = topic
        category.name = proposal.category_name or category.name
        category.responsible_organization = proposal.responsible_organization
        category.is_active = True
        category.save()
        category.participating_organizations.set(proposal.participating_organizations.all())
    return _record_decision(proposal, TopicProposal.Status.ACCEPTED, actor, comment)


@transaction.atomic(durable=True)  # an entry point: one proposal, one decision
def topic_proposal_decline(*, proposal_id: int, actor: "User", comment: str = "") -> TopicProposal:
    return _record_decision(_pending_locked(proposal_id), TopicProposal.Status.DECLINED, actor, comment)


@transaction.atomic  # not durable: the admin's add view runs it inside its own transaction
def official_create(
    *,
    email: str,
    full_name: str,
    user: "User | None",
    organization: Organization,
    position: str,
    role: str,
    categories: Iterable[Category],
    is_active: bool = True,
) -> Official:
    """A new official (Appendix 2 columns): the existing account `user`, or a new one without a usable
    password for `email` (the person sets one through "forgot password"). An administrator's account
    gets the admin (`is_staff`) and the administrators' group. The caller checked that the account may
    be given a role (directory.admin.check_role_may_be_granted)."""
    if user is None:
        user = get_user_model()(email=email, full_name=full_name)
        user.set_unusable_password()
    elif not user.full_name:
        user.full_name = full_name
    if role == Official.Role.ADMINISTRATOR:
        user.is_staff = True
    user.save()
    if role == Official.Role.ADMINISTRATOR:
        group = Group.objects.filter(name=ADMINISTRATORS_GROUP).first()
        if group is not None:
            user.groups.add(group)
    official = Official.objects.create(
        user=user, organization=organization, position=position, role=role, is_active=is_active
    )
    official.categories.set(categories)
    return official
