"""Behind a load balancer or reverse proxy: the client's own address, scheme and host.

A proxy connects to the service itself, so without this every request seems to come from
the proxy, over plain HTTP. Werkzeug's ProxyFix takes them from X-Forwarded-For, -Proto and
-Host instead, but only the last TRUSTED_PROXY_HOPS entries: the ones the service's own
proxies appended. With the default (0) nothing is trusted, since any client can send those
headers. gunicorn's own forwarded-header trust (forwarded_allow_ips) is off for the same
reason: this is the one place that decides.
"""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .settings import Settings


def init_proxies(app: Flask, settings: Settings) -> None:
    hops = settings.trusted_proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
