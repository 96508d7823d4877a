"""§7.2–7.3: the remarks of a negative rating reach the organisation and the author at once, and the public
page only after a moderator of the message's category has reviewed them (they may hold personal data):
published as written, published edited, or kept off the page."""

import pytest
from django.core import mail
from django.urls import reverse

from messages import services
from messages.errors import MessageActionError
from messages.models import MessageEvent, Notification, Rating
from messages.tasks import deliver_outbox
from tests.factories import answered

REMARKS = "Яма не заделана. Звоните мне: Иванов, +7 912 345-67-89, кв. 12."
EDITED = "Яма не заделана."
PENDING_TEXT = "Замечания автора на проверке у модератора"


@pytest.fixture
def rated(citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=False, remarks=REMARKS)
    return message


def rating_of(message):
    return Rating.objects.get(message=message)


def public_page(client, message):
    return client.get(reverse("portal:message", kwargs={"number": message.number})).content.decode()


def review_url(message):
    return reverse(
        "office:review_remarks", kwargs={"number": message.number, "rating": rating_of(message).pk}
    )


# --- the service ---------------------------------------------------------------------------------------


def test_negative_rating_remarks_go_to_the_organisation_at_once_and_wait_for_review(rated, executor):
    """§7.3: the executor is notified with the remarks at once; the public page waits (pending)."""
    assert rating_of(rated).remarks_review == Rating.Review.PENDING
    assert Notification.objects.filter(
        message=rated, recipient=executor, kind=Notification.Kind.REWORK_ASSIGNED
    ).exists()
    mail.outbox.clear()
    deliver_outbox()
    to_executor = [m for m in mail.outbox if executor.email in m.to]
    assert to_executor and REMARKS in to_executor[0].body


def test_positive_rating_without_remarks_needs_no_review(citizen, moderator, executor, category):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=True)
    assert rating_of(message).remarks_review == ""


@pytest.mark.parametrize(
    "decision,text,status,public",
    [
        ("publish", "", "published", REMARKS),
        ("edit", EDITED, "edited", EDITED),
        ("edit", REMARKS, "published", REMARKS),  # «edited» without a change is published as written
        ("hide", "", "hidden", ""),
    ],
)
def test_moderator_publishes_edits_or_hides_the_remarks_with_an_event(
    rated, moderator, decision, text, status, public
):
    """§7.2–7.3: the service records the decision, who and when, and writes a (non-public) event."""
    rating = services.rating_remarks_review(
        rating=rating_of(rated), actor=moderator, decision=decision, text=text
    )
    rating.refresh_from_db()
    assert (rating.remarks_review, rating.remarks_public) == (status, public)
    assert rating.remarks == REMARKS  # the author's own text is kept as written
    assert rating.remarks_reviewed_by == moderator and rating.remarks_reviewed_at is not None
    event = rated.events.get(kind=MessageEvent.Kind.REMARKS_REVIEWED)
    assert event.actor == moderator and not event.is_public
    assert event.data == {"rating": rating.pk, "decision": status, "previous": "pending"}


def test_edit_needs_a_text(rated, moderator):
    with pytest.raises(MessageActionError) as caught:
        services.rating_remarks_review(rating=rating_of(rated), actor=moderator, decision="edit", text="  ")
    assert caught.value.field == "text"
    assert rating_of(rated).remarks_review == "pending"


def test_only_moderators_of_the_category_and_supervisors_review(
    rated, executor, other_category_moderator, citizen, supervisor
):
    """§7.2–7.3, Appendix 2: the category's moderators (and the platform monitors) decide; nobody else."""
    for actor in (executor, other_category_moderator, citizen):
        with pytest.raises(MessageActionError):
            services.rating_remarks_review(rating=rating_of(rated), actor=actor, decision="publish")
    assert rating_of(rated).remarks_review == "pending"
    services.rating_remarks_review(rating=rating_of(rated), actor=supervisor, decision="publish")
    assert rating_of(rated).remarks_review == "published"


def test_a_decision_can_be_changed_and_each_change_is_an_event(rated, moderator):
    services.rating_remarks_review(rating=rating_of(rated), actor=moderator, decision="publish")
    services.rating_remarks_review(rating=rating_of(rated), actor=moderator, decision="edit", text=EDITED)
    assert rating_of(rated).remarks_public == EDITED
    decisions = [e.data["decision"] for e in rated.events.filter(kind="remarks_reviewed").order_by("id")]
    assert decisions == ["published", "edited"]


# --- the public page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "executor"])
def test_guests_and_others_never_see_unreviewed_remarks(client, rated, who, other_citizen, executor):
    """§7.2–7.3: not in the answer, not in the timeline — only «на проверке у модератора»."""
    if who != "anonymous":
        client.force_login(other_citizen if who == "other_citizen" else executor)
    html = public_page(client, rated)
    assert PENDING_TEXT in html
    assert "+7 912" not in html and "Иванов" not in html and "Яма не заделана" not in html


def test_the_author_always_sees_their_own_remarks(client, rated, citizen, moderator):
    client.force_login(citizen)
    html = public_page(client, rated)
    assert "+7 912 345-67-89" in html
    assert "На портале они появятся после проверки модератором" in html
    services.rating_remarks_review(rating=rating_of(rated), actor=moderator, decision="edit", text=EDITED)
    html = public_page(client, rated)
    assert "+7 912 345-67-89" in html and "опубликованы с правками модератора" in html


def test_public_page_after_each_decision(client, rated, moderator, django_capture_on_commit_callbacks):
    """Each decision shows on the next request, also where the page was kept as a shared fragment
    (portal/pagecache.py: the versions move when the decision's transaction commits)."""

    def decide(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            services.rating_remarks_review(rating=rating_of(rated), actor=moderator, **kwargs)

    decide(decision="publish")
    assert "Иванов" in public_page(client, rated)
    decide(decision="edit", text=EDITED)
    html = public_page(client, rated)
    assert EDITED in html and "Иванов" not in html and "с правками модератора" in html
    decide(decision="hide")
    html = public_page(client, rated)
    assert "Замечания автора переданы исполнителю и не публикуются" in html and "Яма не заделана" not in html


# --- the back-office -------------------------------------------------------------------------------------


def test_home_and_review_page_show_the_remarks_waiting(client, rated, moderator, executor):
    """§7.2–7.3: a visible marker on the office home and on the message's review page."""
    client.force_login(moderator)
    home = client.get(reverse("office:home")).content.decode()
    assert "Замечания к оценке ждут проверки: 1" in home
    queue = client.get(reverse("office:remarks_queue"))
    assert [r.message.number for r in queue.context["page"]] == [rated.number]
    review = client.get(reverse("office:review", kwargs={"number": rated.number})).content.decode()
    assert "Замечания к оценке ждут проверки." in review
    assert REMARKS in review and 'name="decision"' in review
    client.force_login(executor)
    assert "Замечания к оценке ждут проверки" not in client.get(reverse("office:home")).content.decode()


def test_moderator_edits_the_remarks_through_the_review_page(client, rated, moderator):
    client.force_login(moderator)
    response = client.post(review_url(rated), {"decision": "edit", "text": EDITED})
    assert response.status_code == 302
    assert response["Location"] == reverse("office:review", kwargs={"number": rated.number})
    assert rating_of(rated).remarks_public == EDITED
    assert "Замечания к оценке ждут проверки" not in client.get(reverse("office:home")).content.decode()
    client.logout()
    assert EDITED in public_page(client, rated)


def test_edit_without_text_is_an_error_next_to_the_field(client, rated, moderator):
    client.force_login(moderator)
    response = client.post(review_url(rated), {"decision": "edit", "text": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Напишите текст замечаний для публикации" in html
    assert rating_of(rated).remarks_review == "pending"


def test_others_cannot_post_a_review(client, rated, executor, other_category_moderator, citizen):
    client.force_login(executor)
    assert client.post(review_url(rated), {"decision": "publish"}).status_code == 403
    client.force_login(other_category_moderator)
    assert client.post(review_url(rated), {"decision": "publish"}).status_code == 404
    client.force_login(citizen)
    assert client.post(review_url(rated), {"decision": "publish"}).status_code == 403
    assert rating_of(rated).remarks_review == "pending"
