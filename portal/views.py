"""The citizen portal (§2.3–2.4, §3, §4, §6.5, §7): thin views over messages.services and selectors.

Each view parses a form, calls one service, turns a MessageActionError into a form error next to its
field (or a flash message), and redirects after a successful POST.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directory.selectors import active_topics_with_categories, category_faq, open_category
from messages import ratelimits, selectors, services
from messages.deadlines import mark_answer_overdue
from messages.documents import PDF_CONTENT_TYPE
from messages.errors import MessageActionError
from messages.models import (
    TEXT_OR_PHOTO_REQUIRED,
    AnswerAttachment,
    AnswerDocument,
    MessageEvent,
    Notification,
    Photo,
    State,
    Support,
)
from messages.photos import MAX_FILES, process_batch
from messages.places import box_around, in_city, squared_distance
from messages.unfollow import UnfollowLinkError, read_unfollow_token
from zarechny import guestpages

from . import maps, pagecache
from .forms import LookupForm, MessageFilterForm, RatingForm, ResubmitForm, SubmitForm, normalise_number
from .paging import BoundedPaginator
from .templatetags.portal import author_name

PAGE_SIZE = 20
# The public list shows at most this many pages (portal/paging.py): 1,000 messages; narrower filters,
# the search or the number lookup find the rest.
MAX_PAGES = 50
RU = {"ensure_ascii": False}
NEAR_RADIUS_M = 500  # «Рядом со мной»: the list holds the messages this close, nearest first
GUEST_COOKIE = "zg_guest"
GUEST_COOKIE_SALT = "portal.guest-support"
GUEST_FROM_CSRF_SALT = "portal.guest-support.from-csrf-cookie"  # its own salt: not the cookie signature's
GUEST_COOKIE_AGE = 2 * 365 * 24 * 3600
# What the author sees in the timeline besides the public kinds: their own path through moderation.
AUTHOR_EXTRA_KINDS = (MessageEvent.Kind.SUBMITTED, MessageEvent.Kind.REJECTED, MessageEvent.Kind.RESUBMITTED)
# Internal bookkeeping that is nobody's business on the portal.
INTERNAL_KINDS = (
    MessageEvent.Kind.REMINDER,
    MessageEvent.Kind.ESCALATED,
    MessageEvent.Kind.REASSIGN_REQUESTED,
)


# --- public list, lookup, message page ------------------------------------------------------------


@require_safe
def message_list(request):
    """The public list. Its body is the same for everyone, so it is a shared fragment (pagecache):
    the queries below are lazy and run only when the fragment has to be rendered."""
    form = SimpleLazyObject(lambda: MessageFilterForm(request.GET))  # its fields copy querysets
    near = _near_point(request)

    def first_page():
        queryset = form.filter(selectors.public_messages(), depth=MAX_PAGES * PAGE_SIZE + 1)
        queryset = queryset.select_related("category").annotate(
            first_photo=Subquery(
                Photo.objects.filter(message=OuterRef("pk")).order_by("position", "id").values("token")[:1]
            )
        )
        if near is not None:
            queryset = _sorted_by_distance(queryset, near)
        page = BoundedPaginator(queryset, PAGE_SIZE, max_pages=MAX_PAGES).get_page(request.GET.get("page"))
        mark_answer_overdue(page)  # §6.2 in public: «срок ответа истёк N рабочих дней назад»
        return page

    version = pagecache.versions(pagecache.PUBLIC, pagecache.REFERENCE)
    context = {
        "form": form,
        "page": SimpleLazyObject(first_page),
        "filtered": any(
            request.GET.get(name) for name in ("topic", "category", "state", "organization", "sort")
        ),
        "max_results": MAX_PAGES * PAGE_SIZE,
        "near": near,
        "near_radius": NEAR_RADIUS_M,
        "query": request.GET.urlencode(),
        # The overdue texts (§6.2) change with the day, not with a save: the day is part of the key.
        "fragment_key": [version, timezone.localdate().isoformat(), sorted(request.GET.lists())],
        "fragment_cache": pagecache.fragment_cache(version),
    }
    return render(request, "portal/message_list.html", context)


def _near_point(request):
    """«Рядом со мной» (issue 15): the point of ?sort=near&lat=…&lon=…, or None. Without a usable point
    the sort is ignored and the page says why (never an error page)."""
    if request.GET.get("sort") != "near":
        return None
    try:
        point = maps.parse_point(request.GET)
        if point is None:
            raise maps.BadPlace("Чтобы показать ближайшие, разрешите определить местоположение.")
    except maps.BadPlace as error:
        flash.warning(request, f"Сортировка «рядом» не применена: {error}")
        return None
    return point


def _sorted_by_distance(queryset, point):
    """The messages with a point within NEAR_RADIUS_M, nearest first: the box is served by the public
    point index, so the sort and the count stay small whatever the number of messages (a sort of every
    public message took seconds at 10⁶)."""
    box = box_around(*point, NEAR_RADIUS_M)
    queryset = queryset.filter(
        latitude__range=(box.south, box.north), longitude__range=(box.west, box.east)
    ).annotate(distance_sq=squared_distance(*point))
    queryset = queryset.filter(distance_sq__lte=NEAR_RADIUS_M**2)
    return queryset.order_by("distance_sq", "-submitted_at", "-id")


@require_safe
def message_lookup(request):
    """§6.5: the answer is available by the message's number. Private and unknown look the same."""
    form = LookupForm(request.GET or None)
    status = 200
    if form.is_valid():
        number = form.cleaned_data["number"]
        if selectors.messages_visible_to(request.user).filter(number=number).exists():
            return redirect("portal:message", number=number)
        form.add_error(
            "number",
            f"Сообщение № {number} не найдено. Сообщения становятся доступными по номеру после "
            "регистрации модератором (§4.8); свои сообщения на модерации вы видите в личном кабинете.",
        )
        status = 404
    return render(request, "portal/lookup.html", {"form": form}, status=status)


def _visible_message(request, number):
    queryset = selectors.messages_visible_to(request.user).select_related(
        "category__topic", "executing_organization", "author", "duplicate_of"
    )
    return get_object_or_404(queryset, number=number)


# What a number in a cache key may look like (any other text is looked up the usual way).
NUMBER_KEY = re.compile(r"\d{4}-\d{1,12}")


def _public_message_for_guest(request, number):
    """A guest's copy of a public message, kept with the page fragments until anything public changes
    (pagecache's public version): the page then needs no query at all. None: read it the usual way.

    Only for guests, and kept without what names or tracks its author (the account, its id, the form
    token): the public name the page shows is computed before."""
    if request.user.is_authenticated or not NUMBER_KEY.fullmatch(number):
        return None
    version = pagecache.versions(pagecache.PUBLIC, pagecache.REFERENCE)
    if version is None:
        return None
    store = caches[pagecache.FRAGMENTS]
    key = f"portal:message:{number}:{version}"
    message = store.get(key)
    if message is None:
        message = (
            selectors.public_messages()
            .select_related("category__topic", "executing_organization", "author")
            .filter(number=number)
            .first()
        )
        if message is None:
            return None
        message.public_author_name = author_name(message)
        message.author = None
        message.client_token = None
        store.set(key, message)
    return message


def _guest_token(request):
    return request.get_signed_cookie(GUEST_COOKIE, default=None, salt=GUEST_COOKIE_SALT)


def _first_guest_token(request) -> str:
    """The identity a guest's first support mints (§7.5). It is derived from the CSRF cookie the form was
    posted with, so the same POST sent again after its answer was lost (the connection dropped, the node
    died before the guest cookie arrived) is the same guest and counts once; without that cookie (a client
    that skipped the CSRF check in tests) a random one. Only the server can derive it (the secret key)."""
    csrf_secret = request.META.get("CSRF_COOKIE")
    if csrf_secret:
        return salted_hmac(GUEST_FROM_CSRF_SALT, csrf_secret, algorithm="sha256").hexdigest()
    return services.new_guest_token()


def _message_page(request, message, *, rating_form=None, csrf_token=None):
    """The message page. What everyone but the author sees of a public message is a shared fragment
    (pagecache), so the photos, answers and timeline below are lazy: read only when the fragment has
    to be rendered; the support box and the author's parts are rendered every time."""
    user = request.user
    is_author = user.is_authenticated and message.author_id == user.pk

    def answer_list():
        return list(
            message.answers.select_related("organization", "rating").prefetch_related(
                Prefetch("attachments", queryset=AnswerAttachment.objects.order_by("position", "id")),
                Prefetch("documents", queryset=AnswerDocument.objects.order_by("position", "id")),
            )
        )

    def event_list():
        events = message.events.exclude(kind__in=INTERNAL_KINDS)
        if is_author:
            events = events.filter(is_public=True) | events.filter(kind__in=AUTHOR_EXTRA_KINDS)
        else:
            events = events.filter(is_public=True)
        return list(events.order_by("created_at", "id"))

    answers = SimpleLazyObject(answer_list)
    can_rate = False
    if is_author and message.state == State.ANSWERED:
        can_rate = bool(answers) and not hasattr(answers[-1], "rating")
    supported = False
    if not message.is_public or is_author:
        pass
    elif user.is_authenticated:
        supported = Support.objects.filter(message=message, user=user).exists()
    elif _guest_token(request):
        supported = Support.objects.filter(message=message, guest_token=_guest_token(request)).exists()
    rejection = selectors.last_rejection(message) if is_author else None
    # «Следить за сообщением»: anyone may see the button (guests are asked to log in); staff accounts do
    # not follow (messages/services/follow.py). The number of followers is not shown.
    following = message.is_public and selectors.follows_message(user, message)
    can_follow = (
        message.is_public and not is_author and (not user.is_authenticated or services.may_follow(user))
    )
    # The author sees their own history (rejections, resubmissions): never from or into a shared cache.
    version = pagecache.versions(pagecache.REFERENCE) if message.is_public and not is_author else None
    context = {
        "message": message,
        "is_author": is_author,
        "rejection": rejection,
        **(_original_support(request, message) if rejection is not None else {}),
        # Read only when a fragment is rendered (SimpleLazyObject: once, on first use).
        "photos": SimpleLazyObject(lambda: list(message.photos.order_by("position", "id"))),
        "answers": answers,
        "events": SimpleLazyObject(lambda: _public_timeline(message, event_list())),
        "supported": supported,
        "following": following,
        "can_follow": can_follow,
        "can_rate": can_rate,
        "rating_form": rating_form or (RatingForm() if can_rate else None),
        "can_resubmit": is_author and message.state == State.REJECTED and message.duplicate_of_id is None,
        "rejection_reasons": (
            list(message.rejection_reasons.all()) if is_author and message.state == State.REJECTED else []
        ),
        "rating_window_days": settings.RATING_WINDOW_DAYS,
        # Every transition saves the message (updated_at); the author's name can change without one.
        # The overdue text (§6.2) changes with the day, not with a save: the day is part of the key.
        "fragment_key": [
            version,
            message.pk,
            message.updated_at.isoformat(),
            author_name(message),
            timezone.localdate().isoformat(),
        ],
        "fragment_cache": pagecache.fragment_cache(version),
        "map": maps.map_settings(),
    }
    if csrf_token is not None:  # a page to keep for every plain guest (message_detail)
        context["csrf_token"] = csrf_token
    return render(request, "portal/message_detail.html", context)


@dataclass(frozen=True)
class TimelineEntry:
    created_at: datetime
    label: str
    kind: str = ""
    comment: str = ""


def _public_timeline(message, events):
    """The portal's «Ход рассмотрения» always starts with «поступило» and a closed message's ends with
    «закрыто» (issue 18.4): the submission is the author's private event and a positive rating closes the
    message without an event of its own, so both ends are taken from the message where no event says so."""
    entries = [TimelineEntry(e.created_at, e.get_kind_display(), e.kind, e.comment) for e in events]
    if not events or events[0].kind != MessageEvent.Kind.SUBMITTED:
        entries.insert(0, TimelineEntry(message.submitted_at, MessageEvent.Kind.SUBMITTED.label, "submitted"))
    if message.state == State.CLOSED and (not events or events[-1].kind != MessageEvent.Kind.CLOSED_UNRATED):
        closed_at = message.closed_at or (events[-1].created_at if events else message.submitted_at)
        entries.append(TimelineEntry(closed_at, "сообщение закрыто", "closed"))
    return entries


def _original_support(request, message):
    """§4.4: the original a duplicate was refused for, and whether its author can support it in one step."""
    original = message.duplicate_of
    if original is None or not original.is_public:
        return {}
    own = original.author_id == request.user.pk
    return {
        "original": original,
        "original_is_own": own,
        "original_supported": not own
        and Support.objects.filter(message=original, user=request.user).exists(),
    }


@require_safe
def message_detail(request, number):
    """A plain guest (guestpages.plain_guest) gets the whole page from one read of the shared cache when it
    is there, else renders it and keeps it; anyone else gets it rendered around the shared fragments."""
    key = version = None
    if guestpages.plain_guest(request) and NUMBER_KEY.fullmatch(number):
        key = f"portal:message-page:{number}"
        # The overdue text (§6.2) changes with the day, not with an event: the day is part of the version.
        version, content = pagecache.page_lookup(
            key, pagecache.PUBLIC, pagecache.REFERENCE, stamp=timezone.localdate().isoformat()
        )
        if content is not None:
            return HttpResponse(guestpages.with_csrf_token(request, content))
    message = _public_message_for_guest(request, number)
    if message is not None and key is not None and version is not None:
        response = _message_page(request, message, csrf_token=guestpages.csrf_placeholder())
        pagecache.page_store(key, version, response.content)
        response.content = guestpages.with_csrf_token(request, response.content)
        return response
    if message is not None:
        return _message_page(request, message)
    try:
        message = _visible_message(request, number)
    except Http404:
        # The author follows «Следить за сообщением» / «Исправить сообщение» from an e-mail without being
        # logged in: send them to log in and back here. Every guest gets this for every well-formed number
        # that is not public, existing or not, so the answer says nothing about which numbers exist (§4.8).
        if request.user.is_authenticated or normalise_number(number) != number:
            raise
        return redirect_to_login(request.get_full_path())
    return _message_page(request, message)


# --- supports and ratings ------------------------------------------------------------------------


@require_POST
def message_support(request, number):
    """§7.5: a user or a guest supports a public message once; the second try changes nothing."""
    message = get_object_or_404(selectors.public_messages(), number=number)
    response = redirect(reverse("portal:message", kwargs={"number": number}) + "#support")
    wants_json = "application/json" in request.headers.get("Accept", "")
    user = request.user if request.user.is_authenticated else None
    guest_token = _guest_token(request) if user is None else None
    try:
        usage = ratelimits.consume(request, ratelimits.SUPPORT)
        if user is None and guest_token is None:
            # New guest identities per address, so clearing cookies in a loop does not multiply supports.
            try:
                ratelimits.consume(request, ratelimits.GUEST_SUPPORT)
            except ratelimits.RateLimited:
                usage.rollback()
                raise
    except ratelimits.RateLimited as refusal:
        if wants_json:
            return JsonResponse({"ok": False, "text": str(refusal)}, status=429, json_dumps_params=RU)
        flash.error(request, str(refusal))
        return response
    if wants_json:  # the submit form's «Поддержать» (issue 15): the same service and limits, no page
        response = JsonResponse({}, json_dumps_params=RU)
    if user is None and guest_token is None:
        guest_token = _first_guest_token(request)
        response.set_signed_cookie(
            GUEST_COOKIE,
            guest_token,
            salt=GUEST_COOKIE_SALT,
            max_age=GUEST_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    try:
        counted = services.message_support(message=message, user=user, guest_token=guest_token)
    except MessageActionError as error:
        if wants_json:
            return JsonResponse({"ok": False, "text": str(error)}, status=409, json_dumps_params=RU)
        flash.error(request, str(error))
        return response
    if wants_json:
        text = "Спасибо! Ваша поддержка учтена." if counted else "Вы уже поддержали это сообщение."
        response.content = json.dumps({"ok": True, "counted": counted, "text": text}, ensure_ascii=False)
        return response
    if counted:
        flash.success(request, "Спасибо! Ваша поддержка учтена.")
    else:
        flash.info(request, "Вы уже поддержали это сообщение. Повторная поддержка не учитывается (§7.5).")
    return response


@require_POST
@login_required
def message_rate(request, number):
    """§7.1–7.2: the author rates the answer; a negative rating needs remarks and sends it to rework."""
    message = _visible_message(request, number)
    if message.author_id != request.user.pk:
        raise PermissionDenied("Оценить ответ может только автор сообщения.")
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.message_rate(
                message=message,
                actor=request.user,
                positive=form.cleaned_data["positive"],
                remarks=form.cleaned_data["remarks"],
            )
        except MessageActionError as error:
            if error.field not in form.fields:
                flash.error(request, str(error))
                return redirect("portal:message", number=number)
            error.attach_to(form)
        else:
            if form.cleaned_data["positive"]:
                flash.success(request, "Спасибо за оценку! Сообщение закрыто.")
            else:
                flash.success(request, "Ответ направлен на доработку с вашими замечаниями (§7.3).")
            return redirect("portal:message", number=number)
    return _message_page(request, message, rating_form=form)


# --- following a message (issue 15.5) ------------------------------------------------------------


def _safe_next(request, fallback):
    """Where to go back after a POST: the page's own `next` if it is ours, else `fallback`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@login_required
def message_follow(request, number):
    """Follow a public message: an e-mail at each of its public steps (a second click changes nothing)."""
    message = get_object_or_404(selectors.public_messages(), number=number)
    try:
        followed = services.message_follow(message=message, user=request.user)
    except MessageActionError as error:
        flash.error(request, str(error))
    else:
        if followed:
            flash.success(
                request,
                f"Вы следите за сообщением № {number}: письмо придёт на {request.user.email}, когда будет "
                "ответ, возврат на доработку или закрытие.",
            )
        elif message.author_id == request.user.pk:
            flash.info(request, "Это ваше сообщение: письма о каждом шаге приходят вам автоматически.")
        else:
            flash.info(request, "Вы уже следите за этим сообщением.")
    return redirect(reverse("portal:message", kwargs={"number": number}) + "#follow")


@require_POST
@login_required
def message_unfollow(request, number):
    """Stop following (from the message page or the cabinet). Only the person's own subscription is
    looked up, so the answer is the same whether the number exists or not."""
    follow = selectors.follows_of(request.user).filter(message__number=number).first()
    fallback = reverse("portal:message", kwargs={"number": number}) + "#follow"
    if follow is None:
        flash.info(request, "Вы не следите за этим сообщением.")
        return redirect(_safe_next(request, reverse("portal:cabinet")))
    services.message_unfollow(message=follow.message_id, user=request.user)
    flash.success(request, f"Вы больше не следите за сообщением № {number}: писем о нём не будет.")
    return redirect(_safe_next(request, fallback))


@csrf_exempt  # the signed token is the credential (RFC 8058 clients post without cookies)
@require_http_methods(["GET", "HEAD", "POST"])
def unfollow_by_link(request, token):
    """The unfollow link of a follow e-mail, no login: GET asks for confirmation (a link scanner that
    opens every link changes nothing), POST — the page's button, or a mail client's one-click
    `List-Unsubscribe=One-Click` — ends that one subscription, whoever is logged in."""
    try:
        user_id, message_id = read_unfollow_token(token)
    except UnfollowLinkError as error:
        status = 410 if error.code == "expired" else 400
        return _unfollow_page(request, {"error": error.code}, status=status)
    follow = selectors.follow_of_link(user_id=user_id, message_id=message_id)
    message = follow.message if follow is not None else None
    if request.method == "POST":
        stopped = services.message_unfollow(message=message_id, user=user_id)
        return _unfollow_page(request, {"state": "done" if stopped else "gone", "message": message})
    return _unfollow_page(request, {"state": "confirm" if follow else "gone", "message": message})


def _unfollow_page(request, context, status=200):
    message = context.get("message")
    context["message"] = message if message is not None and message.is_public else None
    response = render(request, "portal/unfollow.html", context, status=status)
    response["Cache-Control"] = "private, no-store"  # the address carries the token
    return response


# --- photos --------------------------------------------------------------------------------------


def _image_response(stored, field, message):
    try:
        handle = getattr(stored, field).open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("Файл не найден.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    if message.is_public:
        response["Cache-Control"] = "public, max-age=3600"
    else:
        # Visible to the author and staff only: no shared cache may keep a copy.
        response["Cache-Control"] = "private, max-age=600"
        response["Vary"] = "Cookie"
    return response


def _serve_photo(request, number, token, field):
    visible = selectors.messages_visible_to(request.user)
    photo = get_object_or_404(
        Photo.objects.select_related("message"), token=token, message__number=number, message__in=visible
    )
    return _image_response(photo, field, photo.message)


def _serve_attachment(request, number, token, field):
    visible = selectors.messages_visible_to(request.user)
    attachment = get_object_or_404(
        AnswerAttachment.objects.select_related("answer__message"),
        token=token,
        answer__message__number=number,
        answer__message__in=visible,
    )
    return _image_response(attachment, field, attachment.answer.message)


@require_safe
def document(request, number, token):
    """§6.3: a scanned document of an answer, with the answer's access rule, and only ever as a download:
    a PDF opened inline runs in the browser's viewer on our origin, a download does not."""
    visible = selectors.messages_visible_to(request.user)
    document = get_object_or_404(
        AnswerDocument.objects.select_related("answer__message"),
        token=token,
        answer__message__number=number,
        answer__message__in=visible,
    )
    message = document.answer.message
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("Файл не найден.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.download_name(message.number),
        content_type=PDF_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Nothing in a download may run, even if a browser rendered it after all.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if message.is_public:
        response["Cache-Control"] = "public, max-age=3600"
    else:
        response["Cache-Control"] = "private, max-age=600"
        response["Vary"] = "Cookie"
    return response


@require_safe
def photo(request, number, token):
    return _serve_photo(request, number, token, "image")


@require_safe
def photo_view(request, number, token):
    """A photo in its context (number, category, place, n of m, previous/next) instead of the bare JPEG;
    the same access rule as the photo itself: the message must be visible to whoever asks."""
    message = _visible_message(request, number)
    photos = list(message.photos.order_by("position", "id"))
    index = next((i for i, p in enumerate(photos) if p.token == token), None)
    if index is None:
        raise Http404("Фотография не найдена.")
    context = {
        "message": message,
        "photo": photos[index],
        "position": index + 1,
        "total": len(photos),
        "previous": photos[index - 1] if index > 0 else None,
        "next": photos[index + 1] if index + 1 < len(photos) else None,
    }
    return render(request, "portal/photo_view.html", context)


@require_safe
def attachment_view(request, number, token):
    """A photo an executor attached to an answer (§6.3), in its context: the message's number and category,
    which answer (n of m, its kind, organisation and date), n of m photos of that answer, previous/next.
    The same access rule as the message page: the message must be visible to whoever asks."""
    message = _visible_message(request, number)
    answers = list(
        message.answers.select_related("organization").prefetch_related(
            Prefetch("attachments", queryset=AnswerAttachment.objects.order_by("position", "id"))
        )
    )
    found = next(
        (
            (answer_index, files, index)
            for answer_index, files in enumerate([list(a.attachments.all()) for a in answers])
            for index, f in enumerate(files)
            if f.token == token
        ),
        None,
    )
    if found is None:
        raise Http404("Вложение не найдено.")
    answer_index, files, index = found
    answer = answers[answer_index]
    context = {
        "message": message,
        "answer": answer,
        "answer_position": answer_index + 1,
        "answer_total": len(answers),
        "attachment": files[index],
        "position": index + 1,
        "total": len(files),
        "previous": files[index - 1] if index > 0 else None,
        "next": files[index + 1] if index + 1 < len(files) else None,
    }
    return render(request, "portal/attachment_view.html", context)


@require_safe
def photo_thumb(request, number, token):
    return _serve_photo(request, number, token, "thumbnail")


@require_safe
def attachment(request, number, token):
    return _serve_attachment(request, number, token, "image")


@require_safe
def attachment_thumb(request, number, token):
    return _serve_attachment(request, number, token, "thumbnail")


# --- submitting and correcting -------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def submit(request):
    """§3.3, §4: topic and category first (with their typical questions, §2.5), then the message."""
    if request.method in ("GET", "HEAD"):
        category = open_category(request.GET.get("category"))
        if category is None:
            return render(request, "portal/submit_choose.html", {"topics": active_topics_with_categories()})
        form = SubmitForm(
            initial={
                "category": category.key,
                "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
                "show_author_name": request.user.show_name_publicly,
                "client_token": SubmitForm.new_client_token(),
            }
        )
        return _submit_page(request, form, category)

    form = SubmitForm(request.POST, request.FILES)
    category = open_category(request.POST.get("category"))
    if category is None:
        flash.error(request, "Выберите тему и категорию сообщения.")
        return redirect("portal:submit")
    valid = form.is_valid()
    usage = None
    if valid:
        # Counted before the photos are decoded, so a refused burst costs no image processing; a form
        # refused later for another reason gives its attempt back.
        try:
            usage = ratelimits.consume(request, ratelimits.SUBMIT)
        except ratelimits.RateLimited as refusal:
            form.add_error(None, str(refusal))
            return _submit_page(request, form, category, status=429)
    photos = []
    if "photos" in form.cleaned_data:
        # Checked even when other fields are wrong, so every error shows in one round trip.
        try:
            photos = process_batch(form.cleaned_data["photos"])
        except ValidationError as error:
            form.add_error("photos", error)
            _photos_failed(form)
            valid = False
    if valid:
        data = form.cleaned_data
        try:
            message = services.message_submit(
                author=request.user,
                category=data["category"],
                text=data["text"],
                occurred_at=data["occurred_at"],
                address=data["address"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                photos=photos,
                show_author_name=data["show_author_name"],
                client_token=data["client_token"],
            )
        except MessageActionError as error:
            error.attach_to(form)
        else:
            return redirect("portal:submitted", number=message.number)
    if usage is not None:
        usage.rollback()
    photo_point = photos[0].gps_point if photos else None
    if photo_point and not in_city(*photo_point):
        photo_point = None
    return _submit_page(request, form, category, photo_point=photo_point)


def _photos_failed(form, kept=0):
    """No photo came through: without a text (and kept photos) that is the §4.1 error as well."""
    if "text" in form.cleaned_data and not form.cleaned_data["text"].strip() and not kept:
        form.add_error("text", TEXT_OR_PHOTO_REQUIRED)


def _submit_page(request, form, category, status=200, photo_point=None):
    context = {
        "form": form,
        "category": category,
        "faq": category_faq(category),
        "map": maps.map_settings(),
        # The first photo's GPS (read before its metadata was stripped) when the form comes back.
        "photo_point": photo_point,
    }
    return render(request, "portal/submit.html", context, status=status)


@require_safe
@login_required
def submitted(request, number):
    message = get_object_or_404(
        selectors.messages_of_author(request.user).select_related("category__topic"), number=number
    )
    return render(request, "portal/submitted.html", {"message": message})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def message_edit(request, number):
    """§5.7: the author corrects a rejected message (not a duplicate, §4.4) completely — its text, category,
    date, place and photos (§4.1, §4.5–4.7) — and sends it again."""
    message = get_object_or_404(
        selectors.messages_of_author(request.user).select_related("category__topic", "duplicate_of"),
        number=number,
    )
    if message.state != State.REJECTED or message.duplicate_of_id is not None:
        flash.error(request, "Это сообщение нельзя исправить и отправить повторно.")
        return redirect("portal:message", number=number)
    photos = list(message.photos.order_by("position", "id"))
    if request.method == "POST":
        form = ResubmitForm(request.POST, request.FILES, photos=photos)
        valid = form.is_valid()
        uploads = form.cleaned_data.get("photos") or []
        usage = None
        if valid and uploads:
            # New photos cost image processing, as in a submission: counted before they are decoded.
            try:
                usage = ratelimits.consume(request, ratelimits.SUBMIT)
            except ratelimits.RateLimited as refusal:
                form.add_error("photos", str(refusal))
                return _edit_page(request, message, form, photos, status=429)
        new_photos = []
        if uploads and not form.has_error("photos"):  # (too many in all is already said by the form)
            try:
                new_photos = process_batch(uploads, already_attached=form.kept_photo_count())
            except ValidationError as error:
                form.add_error("photos", error)
                _photos_failed(form, kept=form.kept_photo_count())
                valid = False
        if valid:
            data = form.cleaned_data
            try:
                services.message_resubmit(
                    message=message,
                    actor=request.user,
                    text=data["text"],
                    category=data["category"],
                    occurred_at=data["occurred_at"],
                    address=data["address"],
                    point=(data["latitude"], data["longitude"]) if data["latitude"] is not None else None,
                    remove_photos=data.get("remove_photos") or [],
                    add_photos=new_photos,
                )
            except MessageActionError as error:
                error.attach_to(form)
            else:
                flash.success(request, "Сообщение исправлено и снова направлено модератору.")
                return redirect("portal:message", number=number)
        if usage is not None:
            usage.rollback()
        # What the author typed stays in the form (re-rendered, not redirected); only the chosen files
        # must be picked again, which the field's help text says.
    else:
        form = ResubmitForm(
            photos=photos,
            initial={
                "category": message.category.key,
                "text": message.text,
                "occurred_at": timezone.localtime(message.occurred_at),
                "address": message.address,
                "latitude": message.latitude,
                "longitude": message.longitude,
            },
        )
    return _edit_page(request, message, form, photos)


def _edit_page(request, message, form, photos, status=200):
    context = {
        "form": form,
        "message": message,
        "photos": photos,
        "max_photos": MAX_FILES,
        "reasons": list(message.rejection_reasons.all()),
        "rejection": selectors.last_rejection(message),
        "map": maps.map_settings(),
    }
    return render(request, "portal/message_edit.html", context, status=status)


# --- personal cabinet ----------------------------------------------------------------------------


@require_safe
@login_required
def cabinet(request):
    last_events = MessageEvent.objects.filter(message=OuterRef("pk")).exclude(kind__in=INTERNAL_KINDS)
    last_events = last_events.order_by("-created_at", "-id")
    queryset = (
        selectors.messages_of_author(request.user)
        .select_related("category", "executing_organization", "duplicate_of")
        .annotate(
            last_event_kind=Subquery(last_events.values("kind")[:1]),
            last_event_at=Subquery(last_events.values("created_at")[:1]),
        )
        .order_by("-submitted_at", "-id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = dict(MessageEvent.Kind.choices)
    for message in page:
        message.last_event_label = kinds.get(message.last_event_kind, "")
    # «Вы следите» (issue 15.5): its own pages, so neither list pushes the other off.
    follows = selectors.follows_of(request.user).select_related("message__category")
    follows_page = Paginator(follows, PAGE_SIZE).get_page(request.GET.get("following"))
    return render(
        request,
        "portal/cabinet.html",
        {"page": page, "follows": follows_page, "rating_window_days": settings.RATING_WINDOW_DAYS},
    )


NOTICES_PER_PAGE = 30


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notifications(request):
    """The citizen's notifications, unread ones highlighted.

    Opening the page changes nothing (a cross-site link or a prefetch must not mark anything read);
    «Отметить прочитанными» posts the ids of the unread notices that were on the page, so one that
    arrived since stays unread.
    """
    if request.method == "POST":
        ids = [int(value) for value in request.POST.getlist("notice")[:NOTICES_PER_PAGE] if value.isdigit()]
        services.notifications_mark_read(user=request.user, ids=ids)
        return redirect(request.get_full_path())
    queryset = Notification.objects.filter(recipient=request.user).select_related(
        "message__duplicate_of", "event"
    )
    page = Paginator(queryset, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page if n.read_at is None]
    return render(request, "portal/notifications.html", {"page": page, "unread_ids": unread_ids})
