"""Writes to reference data that are more than a plain admin edit."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import Category, Topic, TopicProposal


def _unique_key(model, base):
    base = slugify(base, allow_unicode=False) or model._meta.model_name
    key, n = base, 1
    while model.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def _pending_locked(proposal_id):
    # Locked so that two administrators deciding at once decide (and apply the change) only once.
    proposal = TopicProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != TopicProposal.Status.PENDING:
        raise ValidationError("Решение по этому предложению уже принято.")
    return proposal


def _record_decision(proposal, status, actor, comment):
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_comment = comment
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    return proposal


@transaction.atomic
def topic_proposal_accept(*, proposal_id, actor, comment=""):
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


@transaction.atomic
def topic_proposal_decline(*, proposal_id, actor, comment=""):
    return _record_decision(_pending_locked(proposal_id), TopicProposal.Status.DECLINED, actor, comment)
