"""The WSGI application of the page benchmark (bench/pages.py): the real one (zarechny.wsgi), plus one path
served by Django without any middleware, to measure what the middleware stack costs in the same run.

    /bench/bare-healthz   the same view as /healthz (zarechny.health.healthz), resolved and called by
                          Django's handler with an empty middleware chain

Everything else goes to zarechny.wsgi.application unchanged. Used only by bench/pages.py.
"""

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

from zarechny.wsgi import application as site

BARE_PATH = "/bench/bare-healthz"


class BareHandler(WSGIHandler):
    """Django's WSGI handler with no middleware at all: URL resolving, the view, the response."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


bare = BareHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO") == BARE_PATH:
        environ = {**environ, "PATH_INFO": "/healthz"}
        return bare(environ, start_response)
    return site(environ, start_response)
