"""Writes to reference data that are more than a plain admin edit.

Besides the administrators' decisions, the organisations keep their own data here (§2.2, §2.5): an
official edits the contacts of their organisation and the typical questions of the categories it is
responsible for, and proposes topic and category changes (§2.7). Each of these is one transaction with a
row lock; the history (django-simple-history) records the acting official's account.
"""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import stewardship
from .models import Category, FaqEntry, Official, Organization, Topic, TopicProposal

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


def _same_name(rows: Iterable[Any], name: str, field: str = "name") -> Any:
    """The row whose `field` is `name` whatever the case — compared in Python: SQLite's `iexact` folds
    ASCII letters only, so «дороги» would not find «Дороги» there."""
    wanted = name.strip().casefold()
    return next((row for row in rows if getattr(row, field).strip().casefold() == wanted), None)


@transaction.atomic(durable=True)  # an entry point: one proposal, one decision
def topic_proposal_accept(*, proposal_id: int, actor: "User", comment: str = "") -> TopicProposal:
    """§2.7: apply an accepted proposal — create or change the topic and category it names."""
    proposal = _pending_locked(proposal_id)
    topic = _same_name(Topic.objects.all(), proposal.topic_name)
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
        if proposal.category_description:
            category.description = proposal.category_description
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


# --- the organisations' own data (§2.2, §2.5, §2.7) ------------------------------------------------


def _fresh(official: Official) -> Official:
    """The official as the database has them now: a role an administrator retired or moved to another
    organisation while the page was open no longer counts."""
    return Official.objects.select_related("user").get(pk=official.pk)


def _as_actor(obj: Any, official: Official) -> Any:
    """The history row of this write names the official's account, inside or outside a request."""
    obj._history_user = official.user
    return obj


@transaction.atomic(durable=True)  # an entry point: one form, one change
def organization_contacts_update(
    *, organization_id: int, official: Official, changes: Mapping[str, str]
) -> Organization:
    """§2.2: an official brings the contacts of their own organisation up to date. Only the fields in
    `changes` are written, so two colleagues editing different fields at once both keep their edit."""
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    official = _fresh(official)
    stewardship.check_may_edit_contacts(official, organization)
    unknown = set(changes) - set(stewardship.CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"Not a contact field: {sorted(unknown)}")
    changed = [name for name, value in changes.items() if getattr(organization, name) != value]
    if not changed:
        return organization
    for name in changed:
        setattr(organization, name, changes[name])
    organization.full_clean(exclude=[f.name for f in Organization._meta.fields if f.name not in changed])
    _as_actor(organization, official).save(update_fields=changed)
    return organization


def _locked_category(official: Official, category_id: int) -> Category:
    # The category's row serialises every change to its list of questions (order, unique question).
    category = Category.objects.select_for_update().get(pk=category_id)
    stewardship.check_may_edit_faq(_fresh(official), category)
    return category


def _check_question_free(category: Category, question: str, entry_id: int | None = None) -> None:
    others = FaqEntry.objects.filter(category=category).only("question")
    if entry_id is not None:
        others = others.exclude(pk=entry_id)
    if _same_name(others, question, "question") is not None:
        raise ValidationError(
            {"question": "Такой вопрос в этой категории уже есть: измените его, а не добавляйте второй."}
        )


@transaction.atomic(durable=True)
def faq_entry_create(
    *, category_id: int, official: Official, question: str, answer: str, is_published: bool = True
) -> FaqEntry:
    """§2.5: a new typical question of a category the official's organisation is responsible for; it
    goes to the end of the category's list."""
    category = _locked_category(official, category_id)
    _check_question_free(category, question)
    last = FaqEntry.objects.filter(category=category).order_by("-order").values_list("order", flat=True)
    entry = FaqEntry(
        category=category,
        question=question.strip(),
        answer=answer.strip(),
        is_published=is_published,
        order=(last.first() or 0) + 1,
    )
    entry.full_clean()
    _as_actor(entry, official).save()
    return entry


def _locked_entry(official: Official, entry_id: int) -> FaqEntry:
    category_id = FaqEntry.objects.values_list("category_id", flat=True).get(pk=entry_id)
    _locked_category(official, category_id)
    return FaqEntry.objects.select_for_update().get(pk=entry_id, category_id=category_id)


@transaction.atomic(durable=True)
def faq_entry_update(
    *, entry_id: int, official: Official, question: str, answer: str, is_published: bool
) -> FaqEntry:
    """§2.5: change the wording of a typical question or its answer, or hide it from citizens."""
    entry = _locked_entry(official, entry_id)
    _check_question_free(entry.category, question, entry.pk)
    entry.question, entry.answer, entry.is_published = question.strip(), answer.strip(), is_published
    entry.full_clean(validate_unique=False)
    _as_actor(entry, official).save(update_fields=["question", "answer", "is_published"])
    return entry


@transaction.atomic(durable=True)
def faq_entry_move(*, entry_id: int, official: Official, up: bool) -> FaqEntry:
    """Move a typical question one place up or down in its category's list (the order citizens read)."""
    entry = _locked_entry(official, entry_id)
    entries = list(FaqEntry.objects.filter(category_id=entry.category_id).order_by("order", "id"))
    index = next(i for i, e in enumerate(entries) if e.pk == entry.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(entries):
        entries[index], entries[other] = entries[other], entries[index]
    for position, item in enumerate(entries, start=1):
        if item.order != position:
            item.order = position
            _as_actor(item, official).save(update_fields=["order"])
    return next(e for e in entries if e.pk == entry.pk)


@transaction.atomic(durable=True)
def faq_entry_delete(*, entry_id: int, official: Official) -> None:
    """Delete a typical question; its history keeps it (and `bootstrap` never brings it back)."""
    entry = _locked_entry(official, entry_id)
    _as_actor(entry, official).delete()


@transaction.atomic(durable=True)
def topic_proposal_submit(
    *,
    official: Official,
    topic_name: str,
    category_name: str = "",
    category_description: str = "",
    changes_category: Category | None = None,
    responsible_organization: Organization | None,
    participating_organizations: Iterable[Organization] = (),
    routing_proposal: str,
) -> TopicProposal:
    """§2.7: an organisation proposes a new or changed topic or category, with the four items the
    regulation requires; the administrators accept (the change is applied) or decline it. The proposing
    organisation is always the official's own. For a changed category, what the proposal leaves out
    (name, description, the responsible and the participating organisations) stays as it is: accepting a
    new description must not quietly take the category from its organisations."""
    # The proposing organisation is read under a lock, so no proposal is filed for one that an
    # administrator is retiring at the same moment.
    official = _fresh(official)
    organization = Organization.objects.select_for_update().get(pk=official.organization_id)
    if not official.is_active or not organization.is_active:
        raise PermissionDenied(stewardship.NOT_ACTIVE)
    participating = list(participating_organizations)
    if changes_category is not None:
        topic_name = topic_name or changes_category.topic.name
        category_name = category_name or changes_category.name
        responsible_organization = responsible_organization or changes_category.responsible_organization
        participating = participating or list(changes_category.participating_organizations.all())
    if responsible_organization is None:
        raise ValidationError(
            {"responsible_organization": "Выберите организацию, которая будет готовить ответы."}
        )
    proposal = TopicProposal(
        proposed_by=official.user,
        proposing_organization=organization,
        topic_name=topic_name.strip(),
        category_name=category_name.strip(),
        category_description=category_description.strip(),
        changes_category=changes_category,
        responsible_organization=responsible_organization,
        routing_proposal=routing_proposal.strip(),
    )
    proposal.full_clean()
    _as_actor(proposal, official).save()
    proposal.participating_organizations.set(participating)
    return proposal
