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
