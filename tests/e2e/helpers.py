"""Small steps the browser walks share (signing in as someone, all-week hours)."""

from comptoir.routing.models import WorkingHours

PASSWORD = "pw-correct-horse"
ALL_WEEK = {str(day): [["00:00", "23:59"]] for day in range(7)}


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/inbox/**")


def sign_out(page) -> None:
    page.click(".usermenu form button:text('Sign out')")
    page.wait_for_url("**/accounts/login/**")


def works_all_week(*users) -> None:
    """On shift every hour of every day: the walks do not depend on when they run."""
    for user in users:
        WorkingHours.objects.update_or_create(user=user, defaults={"weekly_hours": ALL_WEEK})
