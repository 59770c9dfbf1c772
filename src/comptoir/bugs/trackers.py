"""Issue tracker URLs: which tracker, which project, which issue. Pure: no ORM, no network.

Recognised (any other http(s) URL is kept as an "other" tracker, as written):

* GitHub — ``https://github.com/<owner>/<repo>/issues/<n>`` (and ``/pull/<n>``: issues and
  pull requests share one sequence of numbers in a repository);
* GitLab — ``https://<host>/<group>[/<subgroup>…]/<project>/-/issues/<n>`` on any host (the
  ``/-/`` marks GitLab), and the older ``https://gitlab.com/<group>/<project>/issues/<n>``;
* Jira — ``https://<host>/browse/<KEY>-<n>`` (Atlassian cloud or a self-hosted Jira).

A recognised URL is stored in its canonical form (no query, fragment or trailing slash), so
the same issue pasted twice from two browser tabs is one bug.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

GITHUB = "github"
GITLAB = "gitlab"
JIRA = "jira"
OTHER = "other"

MAX_URL_LENGTH = 500

_GITHUB_HOSTS = {"github.com", "www.github.com"}
_GITHUB_PATH = re.compile(r"^/([\w.-]+)/([\w.-]+)/(?:issues|pull)/(\d+)/?$")
_GITLAB_PATH = re.compile(r"^/((?:[\w.-]+/)+[\w.-]+)/-/(?:issues|work_items)/(\d+)/?$")
_GITLAB_OLD_PATH = re.compile(r"^/((?:[\w.-]+/)+[\w.-]+)/issues/(\d+)/?$")
_JIRA_PATH = re.compile(r"^(/.*)?/browse/([A-Za-z][A-Za-z0-9_]*)-(\d+)/?$")


@dataclass(frozen=True)
class TrackerRef:
    """Where a bug is tracked. ``project`` and ``number`` are empty/None for "other"."""

    url: str
    kind: str
    project: str = ""
    number: int | None = None

    @property
    def key(self) -> str:
        """How people name the issue: ``owner/repo#12``, ``group/project#3``, ``ABC-12``."""
        if self.kind == JIRA:
            return f"{self.project}-{self.number}"
        if self.kind in (GITHUB, GITLAB):
            return f"{self.project}#{self.number}"
        return ""


class TrackerUrlError(ValueError):
    """Not a web address; the message is shown as is."""


def parse(url: str) -> TrackerRef:
    """The tracker a URL points to. Raises ``TrackerUrlError`` unless it is an http(s) URL."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise TrackerUrlError(_("This address is too long (at most %(max)s characters).")
                              % {"max": MAX_URL_LENGTH})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise TrackerUrlError(_("Enter the issue's web address, starting with https://.")) from None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path

    def canonical(clean_path: str) -> str:
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        return urlunsplit((parts.scheme.lower(), netloc, clean_path.rstrip("/"), "", ""))

    if host in _GITHUB_HOSTS and (match := _GITHUB_PATH.match(path)):
        owner, repo, number = match.groups()
        return TrackerRef(canonical(path).replace("//www.github.com", "//github.com"), GITHUB,
                          f"{owner}/{repo}", int(number))
    if match := _GITLAB_PATH.match(path):
        return TrackerRef(canonical(path), GITLAB, match.group(1), int(match.group(2)))
    if host == "gitlab.com" and (match := _GITLAB_OLD_PATH.match(path)):
        return TrackerRef(canonical(path), GITLAB, match.group(1), int(match.group(2)))
    if match := _JIRA_PATH.match(path):
        return TrackerRef(canonical(path), JIRA, match.group(2).upper(), int(match.group(3)))
    return TrackerRef(url, OTHER)
