from .permissions import Perm, has_perm


def permissions(request):
    """``can.reply``, ``can.view_raw``...: what the signed-in user may do, for templates."""
    user = getattr(request, "user", None)
    return {"can": {perm.value: has_perm(user, perm) for perm in Perm}}
