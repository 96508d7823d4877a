"""§2.2, §2.5, §2.7: the organisations keep their own reference data — the services and the rule of who
may (directory.stewardship), their history with the acting official, and what `bootstrap` makes of it."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from directory import selectors, services, stewardship
from directory.models import Category, FaqEntry, Official, Organization, TopicProposal
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kbu_category(world):
    """A category МКУ «КБУ» is responsible for, with one typical question."""
    category = CategoryFactory(
        key="trees", name="Деревья", topic=world["potholes"].topic, responsible_organization=world["kbu"]
    )
    FaqEntry.objects.create(category=category, question="Кто пилит деревья?", answer="КБУ.", order=1)
    return category


def _faq(category, *questions):
    return [
        FaqEntry.objects.create(category=category, question=q, answer=f"Ответ: {q}", order=i)
        for i, q in enumerate(questions, start=1)
    ]


# --- §2.2 contacts ---------------------------------------------------------------------------------


def test_s2_2_an_official_updates_the_contacts_of_their_organization_with_history(executor, world):
    adm = world["administration"]
    services.organization_contacts_update(
        organization_id=adm.pk,
        official=executor.official,
        changes={"phones": "+7 (8412) 65-00-00", "email": "priemnaya@zarechny.example"},
    )
    adm.refresh_from_db()
    assert (adm.phones, adm.email) == ("+7 (8412) 65-00-00", "priemnaya@zarechny.example")
    last = adm.history.order_by("-history_date").first()
    assert last.history_user == executor  # the acting official, even outside a request
    assert (last.phones, last.history_type) == ("+7 (8412) 65-00-00", "~")


def test_s2_2_every_role_of_the_organization_may_edit_its_contacts_and_nobody_else(
    world, moderator, executor, supervisor, admin_user, other_org_executor
):
    adm = world["administration"]
    for user in (moderator, executor, supervisor, admin_user):
        assert stewardship.may_edit_contacts(user.official, adm)
    assert not stewardship.may_edit_contacts(other_org_executor.official, adm)
    with pytest.raises(PermissionDenied):
        services.organization_contacts_update(
            organization_id=adm.pk, official=other_org_executor.official, changes={"phones": "+7 111 11-11"}
        )
    adm.refresh_from_db()
    assert adm.phones == ""


def test_s2_2_a_retired_official_edits_nothing(executor, world):
    official = executor.official
    official.is_active = False
    official.save()
    with pytest.raises(PermissionDenied):
        services.organization_contacts_update(
            organization_id=world["administration"].pk, official=official, changes={"phones": "+7 111 11-11"}
        )


def test_s2_2_only_contact_fields_and_only_valid_values(executor, world):
    adm = world["administration"]
    with pytest.raises(ValueError):
        services.organization_contacts_update(
            organization_id=adm.pk, official=executor.official, changes={"name": "Другое имя"}
        )
    with pytest.raises(ValidationError) as error:
        services.organization_contacts_update(
            organization_id=adm.pk, official=executor.official, changes={"email": "не адрес"}
        )
    assert "email" in error.value.message_dict
    adm.refresh_from_db()
    assert (adm.name, adm.email) == ("Администрация", "")


def test_s2_2_writes_only_the_changed_fields(executor, moderator, world):
    """Two colleagues editing different fields at once both keep their edit."""
    adm = world["administration"]
    services.organization_contacts_update(
        organization_id=adm.pk, official=moderator.official, changes={"address": "пр. Мира, 19"}
    )
    services.organization_contacts_update(
        organization_id=adm.pk, official=executor.official, changes={"phones": "+7 (8412) 65-00-00"}
    )
    adm.refresh_from_db()
    assert (adm.address, adm.phones) == ("пр. Мира, 19", "+7 (8412) 65-00-00")


# --- §2.5 typical questions --------------------------------------------------------------------------


def test_s2_5_faq_categories_are_those_the_organization_is_responsible_for(
    world, executor, other_org_executor, kbu_category
):
    assert set(stewardship.faq_categories(executor.official)) == {world["potholes"], world["lighting"]}
    # КБУ takes part in «Ямы на дорогах» but is not responsible for it: it keeps only its own category.
    assert set(stewardship.faq_categories(other_org_executor.official)) == {kbu_category}
    world["lighting"].is_active = False
    world["lighting"].save()
    assert set(stewardship.faq_categories(executor.official)) == {world["potholes"]}


def test_s2_5_create_appends_to_the_category_and_records_the_official(executor, category):
    _faq(category, "Первый", "Второй")
    entry = services.faq_entry_create(
        category_id=category.pk, official=executor.official, question=" Третий? ", answer="Да."
    )
    assert (entry.question, entry.order, entry.is_published) == ("Третий?", 3, True)
    assert entry.history.get().history_user == executor


def test_s2_5_a_question_asked_twice_is_refused_next_to_the_field(executor, category):
    _faq(category, "Когда заделают яму?")
    with pytest.raises(ValidationError) as error:
        services.faq_entry_create(
            category_id=category.pk, official=executor.official, question="когда заделают яму?", answer="."
        )
    assert "question" in error.value.message_dict


def test_s2_5_another_organizations_category_is_refused(executor, other_org_executor, category, kbu_category):
    with pytest.raises(PermissionDenied):
        services.faq_entry_create(
            category_id=kbu_category.pk, official=executor.official, question="Чужой?", answer="."
        )
    own = _faq(category, "Свой")[0]
    theirs = kbu_category.faq_entries.get()
    for call in (
        lambda: services.faq_entry_update(
            entry_id=theirs.pk, official=executor.official, question="x", answer="y", is_published=False
        ),
        lambda: services.faq_entry_move(entry_id=theirs.pk, official=executor.official, up=True),
        lambda: services.faq_entry_delete(entry_id=theirs.pk, official=executor.official),
        # КБУ takes part in «Ямы на дорогах» but does not keep its questions.
        lambda: services.faq_entry_delete(entry_id=own.pk, official=other_org_executor.official),
    ):
        with pytest.raises(PermissionDenied):
            call()
    theirs.refresh_from_db()
    assert (theirs.question, theirs.is_published) == ("Кто пилит деревья?", True)
    assert FaqEntry.objects.filter(pk=own.pk).exists()


def test_s2_5_update_hide_move_and_delete_keep_history(executor, moderator, category):
    first, second, third = _faq(category, "Первый", "Второй", "Третий")
    services.faq_entry_update(
        entry_id=second.pk, official=moderator.official, question="Второй?", answer="Нет.", is_published=False
    )
    second.refresh_from_db()
    assert (second.question, second.answer, second.is_published) == ("Второй?", "Нет.", False)
    assert second.history.order_by("-history_date").first().history_user == moderator

    services.faq_entry_move(entry_id=third.pk, official=executor.official, up=True)
    assert list(category.faq_entries.order_by("order").values_list("question", flat=True)) == [
        "Первый",
        "Третий",
        "Второй?",
    ]
    services.faq_entry_move(entry_id=first.pk, official=executor.official, up=True)  # already first
    services.faq_entry_move(entry_id=first.pk, official=executor.official, up=False)
    assert list(category.faq_entries.order_by("order").values_list("question", flat=True)) == [
        "Третий",
        "Первый",
        "Второй?",
    ]

    services.faq_entry_delete(entry_id=first.pk, official=executor.official)
    assert not FaqEntry.objects.filter(pk=first.pk).exists()
    deleted = FaqEntry.history.filter(id=first.pk, history_type="-").get()
    assert deleted.history_user == executor


def test_s2_5_hidden_questions_are_not_public_and_edits_show_at_once(executor, category):
    shown, hidden = _faq(category, "Видимый", "Скрытый")
    services.faq_entry_update(
        entry_id=hidden.pk, official=executor.official, question="Скрытый", answer=".", is_published=False
    )
    assert [e.question for e in selectors.category_faq(category)] == ["Видимый"]
    services.faq_entry_update(
        entry_id=shown.pk,
        official=executor.official,
        question="Видимый",
        answer="Новый ответ",
        is_published=True,
    )
    assert selectors.category_faq(category)[0].answer == "Новый ответ"


def test_s2_5_faq_entry_for_scopes_by_organization(executor, other_org_executor, category, kbu_category):
    own = _faq(category, "Свой")[0]
    theirs = kbu_category.faq_entries.get()
    assert selectors.faq_entry_for(executor.official, own.pk) == own
    assert selectors.faq_entry_for(executor.official, theirs.pk) is None
    assert selectors.faq_entry_for(other_org_executor.official, own.pk) is None
    assert selectors.faq_entry_for(None, own.pk) is None


# --- §2.7 proposals ----------------------------------------------------------------------------------


def test_s2_7_a_proposal_is_always_from_the_officials_organization(other_org_executor, world):
    proposal = services.topic_proposal_submit(
        official=other_org_executor.official,
        topic_name="Дороги",
        category_name="Разметка",
        category_description="Стёртая дорожная разметка.",
        responsible_organization=world["kbu"],
        participating_organizations=[world["administration"]],
        routing_proposal="Модерируют модераторы Администрации, отвечает КБУ.",
    )
    assert proposal.proposing_organization == world["kbu"]
    assert proposal.proposed_by == other_org_executor
    assert {h.history_user for h in proposal.history.all()} == {other_org_executor}
    assert list(selectors.organization_proposals(other_org_executor.official)) == [proposal]


def test_s2_7_a_category_change_is_proposed_and_applied_by_an_administrator(executor, admin_user, world):
    """Rename and a new description; the organisations it leaves out stay as they are."""
    potholes = world["potholes"]
    proposal = services.topic_proposal_submit(
        official=executor.official,
        topic_name="",
        category_name="Ямы и выбоины",
        category_description="Ямы, выбоины и просевший асфальт.",
        changes_category=potholes,
        responsible_organization=None,
        routing_proposal="Как прежде.",
    )
    proposal.refresh_from_db()
    assert proposal.responsible_organization == world["administration"]
    assert list(proposal.participating_organizations.all()) == [world["kbu"]]
    services.topic_proposal_accept(proposal_id=proposal.pk, actor=admin_user)
    potholes.refresh_from_db()
    assert (potholes.name, potholes.description) == ("Ямы и выбоины", "Ямы, выбоины и просевший асфальт.")
    assert potholes.responsible_organization == world["administration"]
    assert list(potholes.participating_organizations.all()) == [world["kbu"]]


def test_s2_7_a_new_category_in_an_existing_topic(executor, admin_user, world):
    proposal = services.topic_proposal_submit(
        official=executor.official,
        topic_name="дороги",  # the existing topic, whatever the case
        category_name="Разметка",
        category_description="Стёртая дорожная разметка.",
        responsible_organization=world["administration"],
        routing_proposal="Модераторы Администрации.",
    )
    services.topic_proposal_accept(proposal_id=proposal.pk, actor=admin_user)
    created = Category.objects.get(name="Разметка")
    assert created.topic == world["potholes"].topic
    assert created.description == "Стёртая дорожная разметка."
    assert TopicProposal.objects.get().status == TopicProposal.Status.ACCEPTED


def test_s2_7_a_new_category_needs_a_responsible_organization(executor):
    with pytest.raises(ValidationError):
        services.topic_proposal_submit(
            official=executor.official,
            topic_name="Экология",
            category_name="Свалки",
            responsible_organization=None,
            routing_proposal="—",
        )


# --- bootstrap: the organisations' edits are theirs ---------------------------------------------------


def _check():
    out = io.StringIO()
    call_command("bootstrap", "--check", stdout=out)
    return out.getvalue()


def test_s2_2_bootstrap_check_does_not_report_contacts_as_a_difference(reference_data):
    organization = Organization.objects.get(key="gorelektroset")
    official = Official.objects.get(appendix_row=15)
    services.organization_contacts_update(
        organization_id=organization.pk,
        official=official,
        changes={"phones": "+7 (8412) 60-00-00", "website": "https://gorelektroset.example"},
    )
    assert _check().strip() == "Справочные данные совпадают с fixtures/."
    call_command("bootstrap", stdout=io.StringIO())
    organization.refresh_from_db()
    assert organization.phones == "+7 (8412) 60-00-00"


def test_s2_5_bootstrap_check_on_reworded_and_reordered_questions(reference_data):
    official = Official.objects.get(appendix_row=24)  # МУП «ЖСКХ», responsible for «Проблемы ЖКХ»
    first, second = FaqEntry.objects.filter(category__key="housing_problems").order_by("order")[:2]
    services.faq_entry_update(
        entry_id=first.pk, official=official, question="Новый вопрос", answer="Новый ответ", is_published=True
    )
    services.faq_entry_move(entry_id=second.pk, official=official, up=True)
    text = _check()
    lines = [line.strip() for line in text.splitlines() if "FaqEntry" in line]
    # The answer and the order are the organisation's: no line. The reworded question is said so.
    assert lines == [
        f"directory.FaqEntry category=«Проблемы ЖКХ», question=«{first.question}»: изменена после "
        "загрузки, теперь «Новый вопрос» (ведёт организация; bootstrap её не трогает)"
    ]
    assert "удалена" not in text
    call_command("bootstrap", stdout=io.StringIO())
    assert not FaqEntry.objects.filter(category__key="housing_problems", question=first.question).exists()


def test_s2_2_a_role_retired_while_the_page_was_open_no_longer_counts(executor, world, category):
    official = executor.official  # the view read it when the request began
    Official.objects.filter(pk=official.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        services.organization_contacts_update(
            organization_id=world["administration"].pk, official=official, changes={"phones": "+7 111 11-11"}
        )
    with pytest.raises(PermissionDenied):
        services.faq_entry_create(category_id=category.pk, official=official, question="?", answer=".")
    with pytest.raises(PermissionDenied):
        services.topic_proposal_submit(
            official=official,
            topic_name="Экология",
            category_name="Свалки",
            responsible_organization=world["administration"],
            routing_proposal="—",
        )
