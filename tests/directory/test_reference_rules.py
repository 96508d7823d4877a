import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from directory import services
from directory.models import Category, Topic, TopicProposal
from tests.factories import submit

pytestmark = pytest.mark.django_db


def test_category_in_use_cannot_be_deleted_but_can_be_retired(citizen, category):
    submit(citizen, category)
    with pytest.raises(ProtectedError):
        category.delete()
    category.is_active = False
    category.save()
    assert Category.objects.filter(pk=category.pk, is_active=False).exists()


def test_unused_category_can_be_deleted(world):
    world["lighting"].delete()
    assert not Category.objects.filter(key="lighting").exists()


def test_category_changes_are_kept_in_history(category):
    category.name = "Ямы и выбоины"
    category.save()
    assert [h.name for h in category.history.order_by("history_date")][-2:] == [
        "Ямы на дорогах",
        "Ямы и выбоины",
    ]


def _proposal(world, user, **extra):
    proposal = TopicProposal.objects.create(
        proposed_by=user,
        proposing_organization=world["administration"],
        topic_name=extra.pop("topic_name", "Экология"),
        category_name=extra.pop("category_name", "Загрязнение водоёмов"),
        responsible_organization=world["administration"],
        routing_proposal="Модераторы Администрации, исполнитель — отдел экологии",
        **extra,
    )
    proposal.participating_organizations.add(world["kbu"])
    return proposal


def test_accepting_a_proposal_applies_it_once(world, moderator, admin_user):
    proposal = _proposal(world, moderator)
    services.topic_proposal_accept(proposal_id=proposal.pk, actor=admin_user, comment="Согласовано")
    category = Category.objects.get(name="Загрязнение водоёмов")
    assert category.topic.name == "Экология"
    assert category.responsible_organization == world["administration"]
    assert list(category.participating_organizations.all()) == [world["kbu"]]
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (TopicProposal.Status.ACCEPTED, admin_user)
    with pytest.raises(ValidationError):
        services.topic_proposal_accept(proposal_id=proposal.pk, actor=admin_user)
    assert Topic.objects.filter(name="Экология").count() == 1


def test_proposal_to_change_a_category_moves_it(world, moderator, admin_user):
    proposal = _proposal(
        world, moderator, topic_name="Дороги", category_name="", changes_category=world["lighting"]
    )
    proposal.responsible_organization = world["kbu"]
    proposal.save()
    services.topic_proposal_accept(proposal_id=proposal.pk, actor=admin_user)
    world["lighting"].refresh_from_db()
    assert world["lighting"].responsible_organization == world["kbu"]
    assert world["lighting"].name == "Освещение"


def test_declined_proposal_changes_nothing(world, moderator, admin_user):
    before = Category.objects.count()
    proposal = _proposal(world, moderator)
    services.topic_proposal_decline(
        proposal_id=proposal.pk, actor=admin_user, comment="Дублирует «Благоустройство»"
    )
    assert Category.objects.count() == before
    proposal.refresh_from_db()
    assert proposal.status == TopicProposal.Status.DECLINED
