"""Issue addresses: GitHub, GitLab and Jira recognised with their project and number, stored in
one canonical form; anything else kept as written; never a crash on what people paste."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.bugs import trackers
from comptoir.bugs.trackers import TrackerRef, TrackerUrlError, parse


@pytest.mark.parametrize(("url", "expected"), [
    ("https://github.com/o/r/issues/12",
     TrackerRef("https://github.com/o/r/issues/12", "github", "o/r", 12)),
    ("  https://github.com/acme-inc/web.app/issues/4821#issuecomment-99  ",
     TrackerRef("https://github.com/acme-inc/web.app/issues/4821", "github", "acme-inc/web.app",
                4821)),
    ("https://www.github.com/o/r/issues/7/?utm=x",
     TrackerRef("https://github.com/o/r/issues/7", "github", "o/r", 7)),
    ("https://github.com/o/r/pull/9",
     TrackerRef("https://github.com/o/r/pull/9", "github", "o/r", 9)),
    ("https://gitlab.com/g/p/-/issues/3",
     TrackerRef("https://gitlab.com/g/p/-/issues/3", "gitlab", "g/p", 3)),
    ("https://gitlab.com/group/sub/project/-/issues/31?foo=1",
     TrackerRef("https://gitlab.com/group/sub/project/-/issues/31", "gitlab", "group/sub/project",
                31)),
    ("https://git.example.org/team/app/-/issues/5",
     TrackerRef("https://git.example.org/team/app/-/issues/5", "gitlab", "team/app", 5)),
    ("https://gitlab.com/g/p/issues/8",
     TrackerRef("https://gitlab.com/g/p/issues/8", "gitlab", "g/p", 8)),
    ("https://x.atlassian.net/browse/ABC-12",
     TrackerRef("https://x.atlassian.net/browse/ABC-12", "jira", "ABC", 12)),
    ("https://jira.example.com/jira/browse/ops_2-7",
     TrackerRef("https://jira.example.com/jira/browse/ops_2-7", "jira", "OPS_2", 7)),
    ("https://linear.app/acme/issue/ENG-1/export-fails",
     TrackerRef("https://linear.app/acme/issue/ENG-1/export-fails", "other")),
    ("https://github.com/o/r", TrackerRef("https://github.com/o/r", "other")),
    ("https://example.com/o/r/issues/12", TrackerRef("https://example.com/o/r/issues/12", "other")),
])
def test_recognised_trackers(url, expected):
    assert parse(url) == expected


@pytest.mark.parametrize(("url", "key"), [
    ("https://github.com/o/r/issues/12", "o/r#12"),
    ("https://gitlab.com/g/p/-/issues/3", "g/p#3"),
    ("https://x.atlassian.net/browse/ABC-12", "ABC-12"),
    ("https://bugs.example.com/show_bug.cgi?id=4", ""),
])
def test_the_key_people_use(url, key):
    assert parse(url).key == key


@pytest.mark.parametrize("url", [
    "", "github.com/o/r/issues/12", "ftp://github.com/o/r/issues/1", "javascript:alert(1)",
    "not a url", "https://" + "a" * 600 + ".com/",
])
def test_what_is_not_an_address_is_refused_with_a_reason(url):
    with pytest.raises(TrackerUrlError) as error:
        parse(url)
    assert str(error.value)


@given(st.text(max_size=300))
def test_anything_pasted_is_either_refused_or_an_http_address(text):
    try:
        ref = parse(text)
    except TrackerUrlError:
        return
    assert ref.url.startswith(("http://", "https://"))
    assert ref.kind in (trackers.GITHUB, trackers.GITLAB, trackers.JIRA, trackers.OTHER)
    assert (ref.number is None) == (ref.kind == trackers.OTHER)
