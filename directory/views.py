from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def home(request):
    return render(request, "portal/home.html", {"topics": selectors.active_topics_with_categories()})


@require_GET
def organization_list(request):
    return render(
        request, "portal/organization_list.html", {"organizations": selectors.public_organizations()}
    )


@require_GET
def faq(request):
    return render(request, "portal/faq.html", {"topics": selectors.faq_by_topic()})


@require_GET
def rules(request):
    return render(request, "portal/rules.html", {"rating_window_days": settings.RATING_WINDOW_DAYS})
