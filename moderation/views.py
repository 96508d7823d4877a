"""The back-office (§2.5, §5, §6): thin views over messages.services, reads through moderation.selectors.

Every view needs an active Official: anonymous people go to the login page, everyone else gets 403.
A message outside the official's scope is a 404, so its existence is not revealed.
"""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directory import routing
from directory.models import Official
from messages import ratelimits, services
from messages.access import official_required
from messages.errors import MessageActionError
from messages.models import State
from messages.photos import process_batch

from . import forms, selectors


def _base_context(request, **extra):
    return {"official": request.official, "now": timezone.now(), **extra}


@require_safe
@official_required
def home(request):
    now = timezone.now()
    summary = selectors.home_summary(request.official, now)
    return render(request, "backoffice/home.html", _base_context(request, summary=summary, now=now))


@require_safe
@official_required
def moderation_queue(request):
    official = request.official
    filters = forms.QueueFilterForm(request.GET or None, official=official)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    queue = selectors.moderation_queue(
        official,
        category=cleaned.get("category"),
        submitted_from=cleaned.get("submitted_from"),
        submitted_to=cleaned.get("submitted_to"),
    )
    page = Paginator(queue, selectors.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/moderation_queue.html",
        _base_context(request, filters=filters, page=page),
    )


@require_safe
@official_required
def answer_queue(request):
    queue = selectors.answer_queue(request.official)
    page = Paginator(queue, selectors.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/answer_queue.html", _base_context(request, page=page))


@require_safe
@official_required
def overdue_board(request):
    if request.official.role != Official.Role.SUPERVISOR:
        raise PermissionDenied("Сводка просрочек доступна мониторингу работы платформы.")
    now = timezone.now()
    groups = selectors.overdue_board(request.official, now)
    return render(request, "backoffice/overdue.html", _base_context(request, groups=groups, now=now))


@require_safe
@official_required
def reassign_requests(request):
    requests = selectors.pending_reassign_requests(request.official)
    return render(request, "backoffice/reassign_requests.html", _base_context(request, requests=requests))


# --- the review page and the moderator's actions -------------------------------------------------


def _review_forms(request, message, **bound):
    official = request.official
    context = {}
    can_moderate = routing.can_moderate(official, message.category)
    if can_moderate and message.state == State.SUBMITTED:
        context["register_form"] = bound.get("register_form") or forms.RegisterForm(
            message=message, official=official
        )
        context["reject_form"] = bound.get("reject_form") or forms.RejectForm()
        context["duplicates"] = selectors.likely_duplicates(official, message)
        context["duplicate_reason"] = context["reject_form"].duplicate_reason()
    if can_moderate and message.state in (State.REGISTERED, State.REWORK):
        context["reassign_form"] = bound.get("reassign_form") or forms.ReassignForm(message=message)
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
        earlier=selectors.earlier_messages_of_author(request.user, request.official, message),
        **_review_forms(request, message, **bound),
    )
    if "reject_form" in bound:
        context["reject_preview"] = bound["reject_form"].citizen_preview()
    return render(request, "backoffice/review.html", context, status=status)


@require_safe
@official_required
def review(request, number):
    message = selectors.staff_message(request.official, number)
    return render_review(request, message)


def _done(request, message, text):
    flash.success(request, text)
    return redirect("office:review", number=message.number)


@require_POST
@official_required
def register(request, number):
    message = selectors.staff_message(request.official, number)
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
            return _done(request, message, f"Сообщение {message.number} зарегистрировано и опубликовано.")
    return render_review(request, message, status=400, register_form=form)


@require_POST
@official_required
def reject(request, number):
    message = selectors.staff_message(request.official, number)
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
    message = selectors.answerable_message(request.official, number)
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
        attachments = []
        try:
            attachments = process_batch(form.cleaned_data["attachments"])
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
