"""The rules that live once in directory/ and are imported by every app that needs them (issue 12.3)."""

from directory.models import AnswerKind, AnswerTemplate
from directory.routing import active_official, active_officials
from messages.models import Answer
from messages.selectors import official_of


def test_answer_kinds_are_one_list():
    assert Answer.Kind is AnswerKind
    assert AnswerTemplate.Kind is AnswerKind
    assert AnswerKind.values == ["solved", "planned", "impossible"]


def test_an_official_whose_account_is_blocked_is_not_active(moderator):
    """The instance rule agrees with the queryset rule: both the Official row and the account must be
    active. The portal's and the back-office's reads (`official_of`) follow the same rule."""
    assert active_official(moderator) == moderator.official == official_of(moderator)
    moderator.is_active = False
    moderator.save()
    assert not active_officials().filter(pk=moderator.official.pk).exists()
    assert active_official(moderator) is None
    assert official_of(moderator) is None


def test_a_retired_official_and_a_citizen_are_not_active(moderator, citizen):
    moderator.official.is_active = False
    moderator.official.save()
    assert active_official(moderator) is None
    assert active_official(citizen) is None
    assert active_official(None) is None
