from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

from directory import selectors

from . import pagecache


@require_safe
def home(request):
    """The topic tree is the same for everyone: a shared fragment until reference data changes."""
    version = pagecache.versions(pagecache.REFERENCE)
    context = {
        "topics": selectors.active_topics_with_categories(),  # lazy: read only to render the fragment
        "fragment_key": version,
        "fragment_cache": pagecache.fragment_cache(version),
    }
    return render(request, "portal/home.html", context)


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
