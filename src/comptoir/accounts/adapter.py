from allauth.account.adapter import DefaultAccountAdapter


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by admins (or ``comptoir createsuperuser``), never self-made."""

    def is_open_for_signup(self, request):
        return False
