from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from directory import selectors
from zarechny import guestpages

from . import pagecache

HOME_PAGE_KEY = "portal:home-page"


@require_safe
def home(request):
    """The page is the same for every plain guest (guestpages.plain_guest): they get it whole from one
    read of the shared cache until reference data changes; anyone else gets it rendered around the
    shared topic tree."""
    key = HOME_PAGE_KEY if guestpages.plain_guest(request) else None
    if key is not None:
        version, content = pagecache.page_lookup(key, pagecache.REFERENCE)
        if content is not None:
            return HttpResponse(guestpages.with_csrf_token(request, content))
    tree_version = pagecache.versions(pagecache.REFERENCE)
    context = {
        "topics": selectors.active_topics_with_categories(),  # lazy: read only to render the fragment
        "fragment_key": tree_version,
        "fragment_cache": pagecache.fragment_cache(tree_version),
    }
    if key is None or version is None:
        return render(request, "portal/home.html", context)
    response = render(request, "portal/home.html", {**context, "csrf_token": guestpages.csrf_placeholder()})
    pagecache.page_store(key, version, response.content)
    response.content = guestpages.with_csrf_token(request, response.content)
    return response


@require_safe
def organization_list(request):
    return render(
        request, "portal/organization_list.html", {"organizations": selectors.public_organizations()}
    )


@require_safe
def faq(request):
    return render(request, "portal/faq.html", {"topics": selectors.faq_by_topic()})


@require_safe
def rules(request):
    return render(request, "portal/rules.html", {"rating_window_days": settings.RATING_WINDOW_DAYS})
