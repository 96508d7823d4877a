"""Back-office reads: the duplicate search (§4.4) and the author's earlier messages."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from messages import services
from moderation import selectors
from tests.moderation.conftest import submit_at


def test_normalised_address_ignores_street_words_and_punctuation():
    assert selectors.normalise_address("ул. Ленина, д. 5") == selectors.normalise_address("Ленина 5")
    assert selectors.normalise_address("улица Ленина, дом 5") == "ленина 5"
    assert selectors.normalise_address("Ленина, 7") != selectors.normalise_address("Ленина, 5")


def test_text_similarity_is_word_overlap():
    assert selectors.text_similarity("Яма на дороге у школы", "Большая яма на дороге возле школы") >= 0.3
    assert selectors.text_similarity("Яма на дороге", "Не горит фонарь во дворе") == 0
    assert selectors.text_similarity("", "что угодно") == 0


def test_distance():
    assert 40 < selectors.distance_m(53.11, 45.09, 53.1104, 45.0902) < 60


def test_duplicates_by_place_address_and_text(moderator, category, citizen, world):
    near = submit_at(
        citizen,
        category,
        text="Провал асфальта",
        address="А",
        latitude=Decimal("53.2"),
        longitude=Decimal("45.17"),
    )
    services.message_register(message=near, actor=moderator)  # by place: public ones (the form's rule)
    same_address = submit_at(citizen, category, text="Выбоина", address="улица Мира, дом 3")
    similar_text = submit_at(citizen, category, text="Огромная яма перед подъездом дома", address="Б")
    unrelated = submit_at(citizen, category, text="Сломан люк", address="В")
    other_category = submit_at(
        citizen,
        world["lighting"],
        text="Огромная яма перед подъездом дома",
        address="ул. Мира, 3",
        latitude=Decimal("53.2"),
        longitude=Decimal("45.17"),
    )
    message = submit_at(
        citizen,
        category,
        text="Огромная яма перед подъездом",
        address="ул. Мира, 3",
        latitude=Decimal("53.2005"),
        longitude=Decimal("45.17"),
    )
    found = {c.message.number: c.reasons for c in selectors.likely_duplicates(moderator.official, message)}
    assert set(found) == {near.number, same_address.number, similar_text.number}
    assert found[same_address.number] == ["тот же адрес"]
    assert unrelated.number not in found and other_category.number not in found


def test_duplicates_are_bounded_and_skip_rejected(moderator, category, citizen, world):
    from directory.models import RejectionReason

    old = submit_at(
        citizen, category, text="Яма", address="ул. Мира, 3", now=timezone.now() - timedelta(days=91)
    )
    rejected = submit_at(citizen, category, text="Яма", address="ул. Мира, 3")
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    many = [submit_at(citizen, category, text=f"Яма {i}", address="ул. Мира, 3") for i in range(7)]
    message = submit_at(citizen, category, text="Яма", address="Мира 3")
    found = [c.message.number for c in selectors.likely_duplicates(moderator.official, message)]
    assert len(found) == selectors.DUPLICATE_LIMIT
    assert old.number not in found and rejected.number not in found
    assert set(found) <= {m.number for m in many}


def test_duplicates_only_within_scope(other_category_moderator, category, citizen):
    submit_at(citizen, category, text="Яма", address="ул. Мира, 3")
    message = submit_at(citizen, category, text="Яма", address="ул. Мира, 3")
    assert selectors.likely_duplicates(other_category_moderator.official, message) == []


def test_earlier_messages_mark_what_the_back_office_can_open(
    supervisor, other_category_moderator, moderator, executor, world, citizen
):
    lighting = submit_at(citizen, world["lighting"], text="Фонарь", address="А")  # on moderation: private
    pothole = submit_at(citizen, world["potholes"], text="Яма", address="Б")
    services.message_register(message=pothole, actor=moderator)  # public
    message = submit_at(citizen, world["potholes"], text="Ещё яма", address="В")
    for user, expected in (
        (supervisor, {lighting.number: True, pothole.number: True}),
        (moderator, {pothole.number: True}),  # the private lighting one is not theirs
        (other_category_moderator, {lighting.number: True, pothole.number: False}),
    ):
        rows = selectors.earlier_messages_of_author(user, user.official, message)
        assert {m.number: m.in_scope for m in rows} == expected, user
