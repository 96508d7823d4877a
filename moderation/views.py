"""The back-office (§2.2, §2.5, §2.7, §5, §6): thin views over messages.services, reads through moderation.selectors.

Every view needs an active Official: anonymous people go to the login page, everyone else gets 403.
A message outside the official's scope is a 404, so its existence is not revealed.
"""

import hashlib

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directory import routing
from directory import selectors as directory_selectors
from directory import services as directory_services
from directory.models import Official, Organization
from messages import ratelimits, services
from messages.access import official_required
from messages.documents import process_answer_files
from messages.errors import MessageActionError
from messages.models import Rating, State

from . import forms, officecache, rows, selectors


def _base_context(request, **extra):
    context = {"official": request.official, "now": timezone.now(), **extra}
    if (placeholder := officecache.csrf_token(request)) is not None:
        context["csrf_token"] = placeholder  # a page kept whole (officecache.kept_page)
    return context


def _queue_page(request, queue, count_name, fields):
    """A page of a queue as rows of `fields` (moderation.rows), its total counted once per official until
    something changes (moderation.officecache)."""
    paginator = Paginator(queue.values_list(*fields, named=True), selectors.QUEUE_PAGE_SIZE)
    paginator.count = officecache.cached(request, count_name, queue.count)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


@require_safe
@official_required
@officecache.kept_page
def home(request):
    now = timezone.now()
    official = request.official
    summary = officecache.cached(request, "home", lambda: selectors.home_summary(official, now), minute=now)
    return render(request, "backoffice/home.html", _base_context(request, summary=summary, now=now))


@require_safe
@official_required
@officecache.kept_page
def moderation_queue(request):
    official = request.official
    filters = forms.QueueFilterForm(request.GET or None, official=official)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    chosen = {name: cleaned.get(name) for name in FILTERS}
    queue = selectors.moderation_queue(official, **chosen)
    count_name = "moderation:" + ":".join(str(getattr(v, "pk", v) or "") for v in chosen.values())
    page = _queue_page(request, queue, count_name, rows.MODERATION_ROW_FIELDS)
    now = timezone.now()
    context = _base_context(request, filters=_filters_html(request, filters), page=page, now=now)
    context["rows"] = rows.moderation_rows(page.object_list, now)
    return render(request, "backoffice/moderation_queue.html", context)


FILTERS = ("category", "submitted_from", "submitted_to")


def _filters_html(request, filters):
    """The queue's filter form, rendered once per official and what they typed (officecache)."""
    typed = hashlib.sha256(repr([request.GET.get(name) for name in FILTERS]).encode()).hexdigest()[:24]
    return officecache.cached(
        request,
        f"filters:{typed}",
        lambda: render_to_string("backoffice/_queue_filters.html", {"filters": filters}),
    )


@require_safe
@official_required
@officecache.kept_page
def answer_queue(request):
    page = _queue_page(request, selectors.answer_queue(request.official), "answers", rows.ANSWER_ROW_FIELDS)
    now = timezone.now()
    context = _base_context(request, page=page, now=now, rows=rows.answer_rows(page.object_list, now))
    return render(request, "backoffice/answer_queue.html", context)


@require_safe
@official_required
@officecache.kept_page
def overdue_board(request):
    if request.official.role != Official.Role.SUPERVISOR:
        raise PermissionDenied("Сводка просрочек доступна мониторингу работы платформы.")
    now = timezone.now()
    groups = selectors.overdue_board(request.official, now)
    return render(request, "backoffice/overdue.html", _base_context(request, groups=groups, now=now))


@require_safe
@official_required
@officecache.kept_page
def remarks_queue(request):
    """§7.2–7.3: remarks of negative ratings that no moderator has reviewed for the public page yet."""
    if not selectors.can_moderate_anything(request.official):
        raise PermissionDenied("Замечания к оценкам проверяют модераторы категорий.")
    page = Paginator(selectors.remarks_queue(request.official), selectors.QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "backoffice/remarks_queue.html", _base_context(request, page=page))


@require_safe
@official_required
@officecache.kept_page
def reassign_requests(request):
    requests = selectors.pending_reassign_requests(request.official)
    return render(request, "backoffice/reassign_requests.html", _base_context(request, requests=requests))


# --- the review page and the moderator's actions -------------------------------------------------


def _review_forms(request, message, **bound):
    official = request.official
    context = {}
    # Which forms to offer (each action checks again in messages.services): kept per official.
    can_moderate = officecache.cached(
        request, f"moderates:{message.category_id}", lambda: routing.can_moderate(official, message.category)
    )
    if can_moderate and message.state == State.SUBMITTED:
        context["register_form"] = bound.get("register_form")
        if context["register_form"] is None:
            context["register_form"] = forms.RegisterForm(message=message, official=official)
            # its choices depend on the official, the message's category and the reference rows only
            context["register_form"].fragment_key = officecache.key(request, f"register:{message.pk}")
        context["reject_form"] = bound.get("reject_form")
        if context["reject_form"] is None:
            context["reject_form"] = forms.RejectForm()
            # the reasons' checkboxes and letter lines depend on the rejection reasons only ({% kept %})
            context["reject_form"].fragment_key = officecache.key(request, "reject")
        # The hints score up to 300 of the category's messages: kept per official until a message changes.
        context["duplicates"] = officecache.cached(
            request, f"duplicates:{message.pk}", lambda: selectors.likely_duplicates(official, message)
        )
        reject_form = context["reject_form"]
        context["duplicate_reason"] = (
            reject_form.duplicate_reason()
            if reject_form.is_bound
            else officecache.cached(request, "duplicate-reason", lambda: reject_form.duplicate_reason() or "")
        ) or None
    if can_moderate and message.state in (State.REGISTERED, State.REWORK):
        context["reassign_form"] = bound.get("reassign_form") or forms.ReassignForm(message=message)
    if can_moderate:
        # §7.2–7.3: the remarks of every rating, for the moderator to publish, edit or keep off the page.
        bound_remarks = bound.get("remarks_form")
        context["remarks_reviews"] = [
            (
                answer.rating,
                bound_remarks
                if bound_remarks is not None and bound_remarks.rating_pk == answer.rating.pk
                else forms.RemarksReviewForm(rating=answer.rating),
            )
            for answer in message.answers.all()
            if hasattr(answer, "rating") and answer.rating.remarks
        ]
        context["remarks_pending"] = any(
            rating.remarks_review == Rating.Review.PENDING for rating, _ in context["remarks_reviews"]
        )
        bound = {k: v for k, v in bound.items() if k != "remarks_form"}
    # A refused action keeps its bound form on the page, so the reason is shown next to the field even
    # when the form would no longer be offered (someone else registered the message a moment earlier).
    context.update(bound)
    context["can_answer"] = message.state in (State.REGISTERED, State.REWORK) and routing.can_answer(
        official, message.category, message.executing_organization
    )
    return context


def render_review(request, message, *, status=200, **bound):
    """The review page of one message; the caller has already scoped `message` to the official."""
    context = _base_context(
        request,
        message=message,
        earlier=officecache.cached(
            request,
            f"earlier:{message.pk}",
            lambda: list(selectors.earlier_messages_of_author(request.user, request.official, message)),
        ),
        history=selectors.message_history(message),
        **_review_forms(request, message, **bound),
    )
    if "reject_form" in bound:
        context["reject_preview"] = bound["reject_form"].citizen_preview()
    return render(request, "backoffice/review.html", context, status=status)


@require_safe
@official_required
@officecache.kept_page
def review(request, number):
    message = selectors.staff_message(request.official, number)
    return render_review(request, message)


def _decided_already(request, message):
    """A moderation decision posted for a message decided meanwhile (a colleague, a double click, a request
    retried after a lost response): the review page says what happened instead of a form error."""
    if message.state == State.SUBMITTED:
        return None
    flash.info(
        request,
        f"Сообщение № {message.number} уже рассмотрено ({message.get_state_display()}): решение не изменено.",
    )
    return redirect("office:review", number=message.number)


def _done(request, message, text):
    flash.success(request, text)
    return redirect("office:review", number=message.number)


@require_POST
@official_required
def register(request, number):
    message = selectors.staff_message(request.official, number)
    if decided := _decided_already(request, message):
        return decided
    form = forms.RegisterForm(request.POST, message=message, official=request.official)
    if form.is_valid():
        try:
            services.message_register(
                message=message,
                actor=request.user,
                executing_organization=form.cleaned_data["executing_organization"],
                category=form.cleaned_data["category"],
                comment=form.cleaned_data["comment"],
            )
        except MessageActionError as error:
            error.attach_to(form)
        else:
            return _next_in_queue(
                request, message, f"Сообщение № {message.number} зарегистрировано и опубликовано."
            )
    return render_review(request, message, status=400, register_form=form)


def _next_in_queue(request, message, text):
    """After a decision the moderator goes on with the queue (its oldest message first), or sees it empty."""
    following = selectors.moderation_queue(request.official).exclude(pk=message.pk).first()
    if following is None:
        flash.success(request, f"{text} Очередь пуста.")
        return redirect("office:moderation_queue")
    flash.success(request, f"{text} Следующее в очереди — № {following.number}.")
    return redirect("office:review", number=following.number)


@require_POST
@official_required
def reject(request, number):
    message = selectors.staff_message(request.official, number)
    if decided := _decided_already(request, message):
        return decided
    form = forms.RejectForm(request.POST)
    if form.is_valid():
        if "preview" in request.POST:
            # The server-rendered preview step (§5.7): the moderator reads the author's letter first.
            return render_review(request, message, reject_form=form)
        duplicate_of = None
        typed = form.cleaned_data["duplicate_of"]
        if typed:
            duplicate_of = selectors.message_by_number_for(request.user, typed)
            if duplicate_of is None:
                form.add_error("duplicate_of", f"Сообщение № {typed} не найдено.")
        if not form.errors:
            try:
                services.message_reject(
                    message=message,
                    actor=request.user,
                    reasons=form.cleaned_data["reasons"],
                    comment=form.cleaned_data["comment"],
                    duplicate_of=duplicate_of,
                )
            except MessageActionError as error:
                error.attach_to(form)
            else:
                return _done(request, message, f"В регистрации сообщения {message.number} отказано.")
    return render_review(request, message, status=400, reject_form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@official_required
def duplicate(request, number):
    """§4.4: the review page's one-click «дубликат» asks first. GET shows both messages and what the author
    will read (no script needed, nothing changes); the POST of that page refuses the message as a repeat."""
    message = selectors.staff_message(request.official, number)
    posted = request.method == "POST"
    if posted and (decided := _decided_already(request, message)):
        return decided
    form = forms.DuplicateForm(
        request.POST if posted else None, initial={"duplicate_of": request.GET.get("of", "")}
    )
    typed = (request.POST.get("duplicate_of") if posted else request.GET.get("of")) or ""
    original = selectors.message_by_number_for(request.user, typed)
    reason = selectors.duplicate_reason()
    if posted and form.is_valid():
        if reason is None:
            form.add_error(None, "Причина отказа «дубликат» отключена администратором.")
        elif original is None:
            form.add_error(None, f"Сообщение № {typed} не найдено.")
        else:
            try:
                services.message_reject(
                    message=message,
                    actor=request.user,
                    reasons=[reason],
                    comment=form.cleaned_data["comment"],
                    duplicate_of=original,
                )
            except MessageActionError as error:
                error.attach_to(form)
            else:
                return _done(
                    request,
                    message,
                    f"В регистрации сообщения {message.number} отказано: повтор сообщения № {original.number}.",
                )
    context = _base_context(
        request,
        message=message,
        original=original,
        typed=typed,
        reason=reason,
        form=form,
        can_confirm=(
            reason is not None
            and original is not None
            and original.is_public
            and original.pk != message.pk
            and message.state == State.SUBMITTED
            and routing.can_moderate(request.official, message.category)
        ),
    )
    return render(request, "backoffice/duplicate_confirm.html", context, status=400 if posted else 200)


@require_POST
@official_required
def reassign(request, number):
    message = selectors.staff_message(request.official, number)
    form = forms.ReassignForm(request.POST, message=message)
    if form.is_valid():
        try:
            services.message_reassign(
                message=message,
                actor=request.user,
                executing_organization=form.cleaned_data["executing_organization"],
                comment=form.cleaned_data["comment"],
            )
        except MessageActionError as error:
            error.attach_to(form)
        else:
            return _done(
                request,
                message,
                f"Сообщение {message.number} передано: {form.cleaned_data['executing_organization']}.",
            )
    return render_review(request, message, status=400, reassign_form=form)


@require_POST
@official_required
def review_remarks(request, number, rating):
    """§7.2–7.3: the moderator publishes the remarks as written or edited, or keeps them off the page."""
    message = selectors.staff_message(request.official, number)
    if not routing.can_moderate(request.official, message.category):
        raise PermissionDenied("Замечания к оценкам проверяют модераторы категории сообщения.")
    found = next(
        (a.rating for a in message.answers.all() if hasattr(a, "rating") and a.rating.pk == rating), None
    )
    if found is None:
        raise Http404("Оценка не найдена.")
    form = forms.RemarksReviewForm(request.POST, rating=found)
    form.rating_pk = found.pk
    if form.is_valid():
        try:
            services.rating_remarks_review(
                rating=found,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                text=form.cleaned_data["text"],
            )
        except MessageActionError as error:
            error.attach_to(form)
        else:
            return _done(request, message, REMARKS_DONE[form.cleaned_data["decision"]])
    return render_review(request, message, status=400, remarks_form=form)


REMARKS_DONE = {
    services.RemarksDecision.PUBLISH: "Замечания автора опубликованы на портале.",
    services.RemarksDecision.EDIT: "Замечания автора опубликованы с вашими правками.",
    services.RemarksDecision.HIDE: "Замечания автора не будут опубликованы; исполнитель и автор их видят.",
}


# --- the answerer's side -------------------------------------------------------------------------


def _render_answer(request, message, *, answer_form=None, reassign_form=None, status=200):
    templates = selectors.answer_templates(message.category)
    if answer_form is None:
        initial = {}
        chosen = request.GET.get("template")
        if chosen and chosen.isdigit():
            template = next((t for t in templates if t.pk == int(chosen)), None)
            if template is not None:
                initial = {"kind": template.kind, "text": template.text}
        answer_form = forms.AnswerForm(initial=initial)
    answers = list(message.answers.all())
    context = _base_context(
        request,
        message=message,
        answer_form=answer_form,
        request_reassign_form=reassign_form or forms.RequestReassignForm(),
        templates=templates,
        previous_answers=answers,
        is_rework=message.state == State.REWORK,
    )
    return render(request, "backoffice/answer.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@official_required
def answer(request, number):
    try:
        message = selectors.answerable_message(request.official, number)
    except Http404:
        meanwhile = selectors.answered_meanwhile(request.official, number)
        if meanwhile is None:
            raise
        # Answered already (a colleague, a double click, a request retried after a lost response): say so
        # and show the message instead of a bare 404; a second answer is never published.
        flash.info(
            request,
            f"На сообщение № {meanwhile.number} уже дан ответ ({meanwhile.get_state_display()}): "
            "новый ответ не отправлен.",
        )
        return redirect("office:review", number=meanwhile.number)
    if request.method in ("GET", "HEAD"):
        return _render_answer(request, message)
    form = forms.AnswerForm(request.POST, request.FILES)
    usage = None
    if form.is_valid() and form.cleaned_data["attachments"]:
        # Attachments cost image processing: counted before they are decoded (issue 11).
        try:
            usage = ratelimits.consume(request, ratelimits.ANSWER_ATTACHMENTS)
        except ratelimits.RateLimited as refusal:
            form.add_error("attachments", str(refusal))
            return _render_answer(request, message, answer_form=form, status=429)
    if form.is_valid():
        attachments, documents = [], []
        try:
            attachments, documents = process_answer_files(form.cleaned_data["attachments"])
        except ValidationError as error:
            for text in error.messages:
                form.add_error("attachments", text)
        if not form.errors:
            try:
                services.message_answer(
                    message=message,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    planned_date=form.cleaned_data["planned_date"],
                    attachments=attachments,
                    documents=documents,
                )
            except MessageActionError as error:
                error.attach_to(form)
            else:
                flash.success(request, f"Ответ на сообщение {message.number} опубликован, автор уведомлён.")
                return redirect("office:answer_queue")
    if usage is not None:
        usage.rollback()
    return _render_answer(request, message, answer_form=form, status=400)


@require_POST
@official_required
def request_reassign(request, number):
    message = selectors.answerable_message(request.official, number)
    form = forms.RequestReassignForm(request.POST)
    if form.is_valid():
        try:
            services.message_request_reassign(
                message=message, actor=request.user, comment=form.cleaned_data["comment"]
            )
        except MessageActionError as error:
            error.attach_to(form)
        else:
            flash.success(request, f"Модераторы получили просьбу передать сообщение {message.number}.")
            return redirect("office:answer_queue")
    return _render_answer(request, message, reassign_form=form, status=400)


# --- the organisation's own data (§2.2, §2.5, §2.7) ------------------------------------------------
#
# Who may edit what is directory.stewardship's rule; the pages only ever work on the official's own
# organisation (no organisation id in any URL or form) and on FAQ entries the selector scopes to it.


def _posted(request):
    """The form data of a POST, even an empty one (`request.POST or None` would show an empty POST
    the blank form with 200 instead of its errors)."""
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "HEAD", "POST"])
@official_required
def organization_contacts(request):
    # A fresh copy: validating a ModelForm writes into its instance; the row is changed by the service.
    organization = Organization.objects.get(pk=request.official.organization_id)
    form = forms.OrganizationContactsForm(_posted(request), instance=organization)
    if request.method == "POST" and form.is_valid():
        try:
            directory_services.organization_contacts_update(
                organization_id=organization.pk, official=request.official, changes=form.changes()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            text = "Контакты сохранены и уже показаны в справочнике организаций."
            flash.success(request, text if form.changed_data else "Изменений нет.")
            return redirect("office:organization")
    return render(
        request,
        "backoffice/organization.html",
        _base_context(request, form=form, organization=organization),
        status=400 if form.errors else 200,
    )


def _faq_page(request, *, add_form=None, status=200):
    categories = directory_selectors.faq_categories_for(request.official)
    add_form = add_form or forms.FaqEntryForm(official=request.official)
    context = _base_context(request, categories=categories, add_form=add_form)
    return render(request, "backoffice/faq.html", context, status=status)


@require_safe
@official_required
def faq(request):
    return _faq_page(request)


@require_POST
@official_required
def faq_add(request):
    form = forms.FaqEntryForm(request.POST, official=request.official)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = directory_services.faq_entry_create(
                category_id=data["category"].pk,
                official=request.official,
                question=data["question"],
                answer=data["answer"],
                is_published=data["is_published"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, f"Вопрос добавлен в категорию «{entry.category}».")
            return redirect(f"{reverse('office:faq')}#faq-{entry.pk}")
    return _faq_page(request, add_form=form, status=400)


def _faq_entry(request, entry_id):
    entry = directory_selectors.faq_entry_for(request.official, entry_id)
    if entry is None:
        raise Http404("Вопрос не найден или его ведёт другая организация.")
    return entry


@require_http_methods(["GET", "HEAD", "POST"])
@official_required
def faq_edit(request, entry_id):
    entry = _faq_entry(request, entry_id)
    form = forms.FaqEntryForm(_posted(request), official=request.official, entry=entry)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            directory_services.faq_entry_update(
                entry_id=entry.pk,
                official=request.official,
                question=data["question"],
                answer=data["answer"],
                is_published=data["is_published"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, "Вопрос сохранён.")
            return redirect(f"{reverse('office:faq')}#faq-{entry.pk}")
    return render(
        request,
        "backoffice/faq_entry.html",
        _base_context(request, form=form, entry=entry),
        status=400 if form.errors else 200,
    )


@require_POST
@official_required
def faq_move(request, entry_id):
    entry = _faq_entry(request, entry_id)
    directory_services.faq_entry_move(
        entry_id=entry.pk, official=request.official, up=request.POST.get("direction") != "down"
    )
    return redirect(f"{reverse('office:faq')}#faq-{entry.pk}")


@require_http_methods(["GET", "HEAD", "POST"])
@official_required
def faq_delete(request, entry_id):
    entry = _faq_entry(request, entry_id)
    if request.method == "POST":
        directory_services.faq_entry_delete(entry_id=entry.pk, official=request.official)
        flash.success(request, f"Вопрос «{entry.question}» удалён.")
        return redirect("office:faq")
    return render(request, "backoffice/faq_delete.html", _base_context(request, entry=entry))


@require_http_methods(["GET", "HEAD", "POST"])
@official_required
def proposals(request):
    form = forms.TopicProposalForm(_posted(request), official=request.official)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            directory_services.topic_proposal_submit(
                official=request.official,
                topic_name=data["topic_name"],
                category_name=data["category_name"],
                category_description=data["category_description"],
                changes_category=data["changes_category"],
                responsible_organization=data["responsible_organization"],
                participating_organizations=data["participating_organizations"],
                routing_proposal=data["routing_proposal"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, "Предложение отправлено администраторам платформы (§2.7).")
            return redirect("office:proposals")
    context = _base_context(
        request, form=form, proposals=directory_selectors.organization_proposals(request.official)
    )
    return render(request, "backoffice/proposals.html", context, status=400 if form.errors else 200)
