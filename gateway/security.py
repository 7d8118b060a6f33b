"""Headers on every answer of the gateway: its pages (the console, the API's docs) load
scripts, styles and data from this origin only and are never framed; JSON and files are
not documents at all. The console has no inline script or style, so the policy needs no
'unsafe-inline'."""
from nameko.exceptions import ContainerBeingKilled
from nameko.web.handlers import HttpRequestHandler

from common.errors import ServiceUnavailable

PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # the console's empty favicon, Swagger UI's icons
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
ANSWER_POLICY = "default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecuredHttp(HttpRequestHandler):
    """nameko's ``@http`` whose answers carry the headers above (``page=True`` for HTML
    pages and the files they load), and whose own failures, before a request reaches
    ``dispatch``, keep the error shape: a request arriving while the container is being
    killed (it lost its broker; its process is about to exit and be started again) is
    503, not nameko's plain-text 500."""

    def __init__(self, method, url, page=False, **kwargs):
        self.page = page
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        response = super().handle_request(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy",
                                    PAGE_POLICY if self.page else ANSWER_POLICY)
        return response


    def check_signature(self, args, kwargs):
        """nameko checks every request's arguments against the method (``inspect``, a
        twentieth of a listing's time); werkzeug's match of the route's URL already gives
        exactly the method's parameters."""

    def response_from_exception(self, exc):
        if isinstance(exc, ContainerBeingKilled):
            from gateway.dispatch import error_response  # dispatch imports the routes

            return error_response(ServiceUnavailable("gateway_restarting"))
        return super().response_from_exception(exc)


http = SecuredHttp.decorator
