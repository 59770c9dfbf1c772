from ninja import NinjaAPI

from .auth import TokenAuth

api = NinjaAPI(
    title="comptoir API",
    version="1",
    description="Conversations, messages, notes, people, identities, organisations and tags.",
    auth=TokenAuth(),
    urls_namespace="api",
)
