from django.conf import settings


def platform(request):
    return {"PLATFORM_NAME": "«Умный город» Заречный", "SITE_URL": settings.SITE_URL}
