"""Every report in a real browser, on the demo company: the charts are drawn (pixels on each
canvas, not just a canvas), a CSV downloads, and each page leaves a screenshot in
test-artifacts/."""

import pytest

from comptoir import demo
from comptoir.reports import services

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGES = [  # (name, address, charts at least)
    ("overview", "/reports/?range=90", 2),
    ("response-times", "/reports/response-times/?range=90", 2),
    ("resolution", "/reports/resolution/?range=90", 2),
    ("volume", "/reports/volume/?range=90", 2),
    ("participation", "/reports/participation/?range=90", 2),
    ("satisfaction", "/reports/satisfaction/?range=90", 1),
    ("filtered", "/reports/response-times/?range=30&channel=email&tag=bug&hours=business", 2),
]

# How many canvases have at least one painted pixel.
PAINTED = """() => [...document.querySelectorAll('canvas[data-chart]')].filter(c => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) return true; }
  return false;
}).length"""


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", demo.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/inbox/**")


def test_each_report_draws_its_charts(live_server, browser_page, artifacts):
    demo.load(scale=0.15)
    services.refresh()
    page = browser_page
    sign_in(page, live_server.url, "lena")
    page.click(".mainnav a:text('Reports')")
    page.wait_for_selector("body[data-charts-drawn=true]")
    for name, url, charts in PAGES:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_selector("body[data-charts-drawn=true]")
        canvases = page.locator("canvas[data-chart]").count()
        assert canvases >= charts, name
        assert page.evaluate(PAINTED) == canvases, f"{name}: a chart stayed blank"
        assert "Figures as of" in page.inner_text("#freshness")
        page.screenshot(path=str(artifacts / f"reports-{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/response-times/?range=90")
    with page.expect_download() as download:
        page.click("#table-months a.csv")
    assert download.value.suggested_filename.startswith("comptoir-response-months-")

    page.select_option("#ui-language", "ja")
    page.wait_for_selector("html[lang=ja]")
    page.wait_for_selector("body[data-charts-drawn=true]")
    page.screenshot(path=str(artifacts / "reports-response-times-ja.png"), full_page=True)


def test_a_teammate_sees_their_own_figures(live_server, browser_page, artifacts):
    demo.load(scale=0.15)
    services.refresh()
    page = browser_page
    sign_in(page, live_server.url, "teo")
    page.click(".mainnav a:text('My figures')")
    page.wait_for_selector("body[data-charts-drawn=true]")
    assert page.evaluate(PAINTED) == 1
    assert "You answered" in page.inner_text(".mine")
    page.screenshot(path=str(artifacts / "reports-mine.png"), full_page=True)
