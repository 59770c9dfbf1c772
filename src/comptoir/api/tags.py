"""Tags: every tag in use, newest first. Tags are added to and removed from conversations
under ``/conversations/{id}/tags``."""

from django.http import HttpRequest
from ninja import Query, Router

from comptoir.accounts.permissions import Perm, check
from comptoir.conversations.models import Tag

from .pagination import page_by_id
from .schemas import ERRORS, PageQuery, TagPage

router = Router(tags=["tags"])


@router.get("", response={200: TagPage, **ERRORS})
def list_tags(request: HttpRequest, page: Query[PageQuery]):
    """All tags."""
    check(request.auth, Perm.VIEW)
    return page_by_id(Tag.objects.all(), page.cursor, page.limit)
