"""ASGI entry point: Django for HTTP, Channels for websockets (``comptoir.realtime``).

Websockets go through the Origin check (``ALLOWED_HOSTS``: another site's page cannot open
one with the user's cookies) and the session of the signed-in user.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
django_asgi_app = get_asgi_application()

# the imports below load models: Django is set up first (hence E402)
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from comptoir.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    ),
})
