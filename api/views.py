"""Open311 GeoReport v2 under /open311/v2/ (JSON and XML by extension) and the open-data page.

Every endpoint: the format from the extension (anything else is a 400 in the spec's error form), the rate
limits (messages/ratelimits.py: per address without a key, per client with one), conditional GET (ETag of
the body, Last-Modified where one moment stands for the answer), and errors as the spec's list of code +
description with that HTTP status — never an HTML page, never a 500 for bad input.
"""

import functools
import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from accounts import selectors as accounts
from messages import opendata as datasets
from messages import ratelimits
from messages.errors import MessageActionError
from messages.models import State

from . import open311, selectors, services
from .forms import RequestsQuery, SubmitForm, form_errors
from .models import ApiSubmission, OpenDataFile
from .open311 import Open311Error
from .opendata import storage

CONTACT = "Администрация г. Заречного, платформа «Умный город»"
CHANGESET = "2026-11-30T00:00:00+03:00"  # the date this API last changed (discovery)


def _respond(request, fmt, root, data, *, status=200, last_modified=None, headers=None):
    body = open311.render(fmt, root, data)
    response = HttpResponse(body, status=status, content_type=open311.FORMATS[fmt], headers=headers)
    if request.method in ("GET", "HEAD") and status == 200:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        response["ETag"] = etag
        timestamp = int(last_modified.timestamp()) if last_modified is not None else None
        if timestamp is not None:
            response["Last-Modified"] = http_date(timestamp)
        patch_cache_control(response, public=True, max_age=60)
        return get_conditional_response(request, etag=etag, last_modified=timestamp, response=response)
    response["Cache-Control"] = "no-store"
    return response


def _error_response(request, fmt, error):
    response = HttpResponse(
        open311.errors(fmt, error), status=error.status, content_type=open311.FORMATS[fmt]
    )
    response["Cache-Control"] = "no-store"
    if error.status == 429 and getattr(error, "retry_after", None):
        response["Retry-After"] = str(error.retry_after)
    return response


def _limit(request, client):
    try:
        if client is not None:
            rates = ratelimits.parse_rates(client.rate_limit)
            ratelimits.consume_subject(ratelimits.API_CLIENT, f"client:{client.pk}", rates)
        else:
            ratelimits.consume(request, ratelimits.API, per=("ip",))
    except ratelimits.RateLimited as refusal:
        raise _too_many(refusal) from None
    except ValueError:  # a rate an administrator typed that the validator let through
        pass


def _too_many(refusal):
    error = Open311Error(429, str(refusal))
    error.retry_after = max(1, int((refusal.retry_at - timezone.now()).total_seconds()))
    return error


def endpoint(*methods):
    """The frame of every Open311 view: format, key, rate limit, errors. The view gets (request, fmt,
    client, **kwargs) and returns (root, data) or (root, data, extra) with extra = {"status": …, …}."""

    def decorator(view):
        @csrf_exempt  # no cookies are read: a POST is authorised by its api_key alone
        @functools.wraps(view)
        def wrapped(request, fmt, **kwargs):
            if fmt not in open311.FORMATS:
                return _error_response(
                    request, "xml", Open311Error(400, "Формат не поддерживается: используйте .json или .xml.")
                )
            try:
                if request.method not in methods:
                    raise Open311Error(405, f"Метод {request.method} здесь не поддерживается.")
                key = (request.POST if request.method == "POST" else request.GET).get("api_key", "")
                client = accounts.api_client_by_key(key) if key else None
                # A wrong key counts against the address's limit like a request without one.
                _limit(request, client)
                if key and client is None:
                    raise Open311Error(403, "Недействительный api_key: ключ неизвестен или отключён.")
                result = view(request, fmt, client, **kwargs)
            except Open311Error as error:
                response = _error_response(request, fmt, error)
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response
            root, data, *extra = result
            return _respond(request, fmt, root, data, **(extra[0] if extra else {}))

        return wrapped

    return decorator


@endpoint("GET", "HEAD")
def discovery(request, fmt, client):
    base = request.build_absolute_uri(reverse("api:discovery", args=["json"])).rsplit("/", 1)[0] + "/"
    return "discovery", {
        "changeset": CHANGESET,
        "contact": CONTACT,
        "key_service": "Ключ для отправки сообщений выдаёт администратор платформы.",
        "endpoints": [
            {
                "specification": open311.SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


@endpoint("GET", "HEAD")
def service_list(request, fmt, client):
    return "services", [open311.service(category) for category in selectors.active_services()]


@endpoint("GET", "HEAD")
def service_definition(request, fmt, client, code):
    category = selectors.active_services().filter(key=code[:80]).first()
    if category is None:
        raise Open311Error(404, f"service_code «{code[:80]}» не найден.")
    # metadata is false for every service: the definition has no attributes.
    return "service_definition", {"service_code": category.key, "attributes": []}


def _requests_data(request, messages):
    mapped = []
    selectors.with_overdue(messages)
    for message in messages:
        answers = list(message.answers.all())
        photos = list(message.photos.all())
        media_url = None
        if photos:
            media_url = request.build_absolute_uri(
                reverse("portal:photo", kwargs={"number": message.number, "token": photos[0].token})
            )
        mapped.append(
            open311.request(message, latest_answer=answers[-1] if answers else None, media_url=media_url)
        )
    return mapped


@csrf_exempt  # an API key, no cookies: see endpoint()
def requests(request, fmt):
    """GET lists public requests; POST submits one (with an api_key)."""
    if request.method == "POST":
        return _submit(request, fmt)
    response = _request_list(request, fmt)
    if response.status_code == 405:
        response["Allow"] = "GET, HEAD, POST"
    return response


@endpoint("GET", "HEAD")
def _request_list(request, fmt, client):
    form = RequestsQuery(request.GET)
    if not form.is_valid():
        texts = form_errors(form)
        raise Open311Error(400, texts[0], *[(400, text) for text in texts[1:]])
    query = form.cleaned_data
    messages = selectors.public_requests()
    if query["service_request_id"]:
        # The spec: with ids given, the other filters are ignored.
        messages = messages.filter(number__in=[i[:20] for i in query["service_request_id"]])
    else:
        messages = messages.filter(submitted_at__gte=query["start_date"], submitted_at__lte=query["end_date"])
        if query["service_code"]:
            codes = [code[:80] for code in query["service_code"]]
            known = set(selectors.active_services().filter(key__in=codes).values_list("key", flat=True))
            unknown = [code for code in codes if code not in known]
            if unknown:
                raise Open311Error(404, f"service_code не найден: {', '.join(unknown[:10])}.")
            messages = messages.filter(category__key__in=codes)
        if query["status"]:
            states = []
            if "open" in query["status"]:
                states += open311.OPEN_STATES
            if "closed" in query["status"]:
                states += open311.CLOSED_STATES
            messages = messages.filter(state__in=states)
    size, page = query["page_size"], query["page"]
    offset = (page - 1) * size
    # One row more than the page tells whether a next page exists, without counting the whole period.
    found = list(messages.order_by("-submitted_at", "-id")[offset : offset + size + 1])
    headers = {}
    if len(found) > size:
        params = request.GET.copy()
        params["page"] = page + 1
        headers["Link"] = f'<{request.build_absolute_uri(request.path)}?{params.urlencode()}>; rel="next"'
    return "service_requests", _requests_data(request, found[:size]), {"headers": headers}


@endpoint("GET", "HEAD")
def request_detail(request, fmt, client, request_id):
    message = selectors.public_requests().filter(number=request_id[:20]).first()
    if message is None:
        raise Open311Error(404, f"service_request_id «{request_id[:20]}» не найден.")
    return "service_requests", _requests_data(request, [message]), {"last_modified": message.updated_at}


@endpoint("GET", "HEAD")
def token_detail(request, fmt, client, token):
    try:
        token_value = uuid.UUID(token)
    except ValueError:
        raise Open311Error(404, "Токен не найден.") from None
    submission = ApiSubmission.objects.select_related("message").filter(token=token_value).first()
    if submission is None:
        raise Open311Error(404, "Токен не найден.")
    message = submission.message
    if message.state in (State.REJECTED, State.WITHDRAWN):
        # What and why is between the author and the moderator (§5.7): the author sees it in the cabinet.
        raise Open311Error(404, "Сообщение не опубликовано: подробности — у автора в личном кабинете.")
    item = {"token": str(submission.token)}
    if message.is_public:
        item = {"service_request_id": message.number, **item}
    return "service_requests", [item]


@endpoint("POST")
def _submit(request, fmt, client):
    if client is None:
        raise Open311Error(403, "Для отправки сообщения нужен api_key, выданный администратором платформы.")
    form = SubmitForm(request.POST)
    if not form.is_valid():
        texts = form_errors(form)
        raise Open311Error(400, texts[0], *[(400, text) for text in texts[1:]])
    data = form.cleaned_data
    author = accounts.api_submitter(client=client, email=data["email"])
    if author is None:
        raise Open311Error(
            403,
            "Отправить сообщение можно только от имени зарегистрированного пользователя с подтверждённым "
            "адресом, который разрешил это приложению (личный кабинет → «Приложения»).",
        )
    category = selectors.active_services().filter(key=data["service_code"]).first()
    if category is None:
        raise Open311Error(404, f"service_code «{data['service_code']}» не найден.")
    try:
        usage = ratelimits.consume(request, ratelimits.SUBMIT, user=author, per=("user",))
    except ratelimits.RateLimited as refusal:
        raise _too_many(refusal) from None
    try:
        submission = services.open311_request_submit(
            client=client,
            author=author,
            category=category,
            text=data["description"],
            address=data["address_string"],
            latitude=data["lat"],
            longitude=data["long"],
        )
    except (MessageActionError, ValidationError) as error:
        usage.rollback()
        raise Open311Error(400, str(error)) from None
    notice = open311.service_notice(submission.message)
    if request.POST.get("media_url"):
        notice += " Фотографии по media_url не загружаются: приложите их на портале."
    return "service_requests", [{"token": str(submission.token), "service_notice": notice}], {"status": 201}


# --- open data -----------------------------------------------------------------------------------


@require_safe
def opendata_index(request):
    files = {}
    for row in OpenDataFile.objects.order_by("-day", "dataset", "format")[:2000]:
        files.setdefault(row.dataset, {}).setdefault(row.day, {})[row.format] = row
    sets = [
        {"dataset": d, "days": sorted(files.get(d.name, {}).items(), reverse=True)[:60]}
        for d in datasets.datasets()
    ]
    return render(request, "api/opendata.html", {"sets": sets})


@require_safe
def opendata_file(request, name):
    row = OpenDataFile.objects.filter(name=name).first()
    if row is None:
        raise Http404("Файл не найден.")
    try:
        handle = storage().open(row.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("Файл не найден.") from None
    content_type = "text/csv; charset=utf-8" if row.format == "csv" else "application/json; charset=utf-8"
    response = FileResponse(
        handle, as_attachment=True, filename=row.name.rsplit("/", 1)[-1], content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response
