"""The web workspace in a real browser: sign in, the urgent queue, a case with blurred media,
a logged reveal, the network view, and what an anonymous visitor is refused.

Runs against a served demo operation (see conftest.py); with AMPARO_SCREENSHOTS=1 it also
writes the README's screenshots (docs/screenshots/dashboard.png, case.png, network.png).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from tests.browser.conftest import ANALYST, REVIEWER, SUPERVISOR, Login

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.slow

SignedIn = Callable[[Login], "Page"]
NewContext = Callable[[], "BrowserContext"]
Screenshot = Callable[["Page", str], "Path"]
THUMB_SIDE = 192  # pixels: the server's blurred thumbnails are at most this on a side
REASON = "Compare with the series in the first report (browser test)"
BLURRED = "section#media figure.media-item img.thumb.blurred"
VISIBLE_THUMBS_LOADED = """() => [...document.querySelectorAll('section#media img.thumb')]
    .filter(img => { const box = img.getBoundingClientRect();
                     return box.bottom > 0 && box.top < window.innerHeight; })
    .every(img => img.complete && img.naturalWidth > 0)"""


def _path(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def _urgent_case_links(page: Page) -> list[str]:
    page.goto("/cases?level=urgent")
    links = page.locator("table#cases tr.case-row a.case-link")
    return [href for href in (links.nth(i).get_attribute("href") for i in range(links.count()))
            if href]  # fmt: skip


def _find_case(page: Page, wanted: Callable[[Page], bool]) -> str:
    """The first urgent case whose page satisfies ``wanted``; the page is left on it."""
    links = _urgent_case_links(page)
    assert links, "the demo operation has urgent cases"
    for href in links:
        page.goto(href)
        if wanted(page):
            return href
    pytest.fail(f"none of the {len(links)} urgent cases has what this test needs")


def _has_blurred_image(page: Page) -> bool:
    return page.locator("section#media figure.media-item[data-kind=image] img.thumb.blurred"
                        ).count() > 0  # fmt: skip


def _has_group_links(page: Page) -> bool:
    return page.locator("section#groups a[href^='/groups/']").count() > 0


def _natural_size(page: Page, selector: str) -> tuple[int, int]:
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()  # thumbnails load lazily
    element.evaluate(
        "img => img.complete ? null : new Promise(done => img.addEventListener('load', done))"
    )
    width, height = element.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    return int(width), int(height)


def test_sign_in_lands_on_the_dashboard(signed_in: SignedIn, screenshot: Screenshot) -> None:
    page = signed_in(ANALYST)
    assert _path(page) == "/"
    assert page.locator("section#queue a[data-level=urgent]").is_visible()
    assert page.locator("table#cases tr.case-row").count() > 0
    assert page.locator("#chart-provinces").is_visible()
    assert page.locator("#chart-countries").is_visible()
    screenshot(page, "dashboard.png")


def test_a_wrong_password_is_refused(new_context: NewContext) -> None:
    page = new_context().new_page()
    page.goto("/login")
    form = page.locator("form#login")
    form.locator("input[name=username]").fill(ANALYST.username)
    form.locator("input[name=password]").fill("not the password at all")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert _path(page).startswith("/login")
    page.goto("/")
    assert _path(page).startswith("/login"), "no session came of a wrong password"


def test_the_urgent_queue_opens_a_case(signed_in: SignedIn) -> None:
    page = signed_in(ANALYST)
    with page.expect_navigation():
        page.locator("section#queue a[data-level=urgent]").click()
    assert _path(page) == "/cases?level=urgent"
    rows = page.locator("table#cases tr.case-row")
    assert rows.count() > 0
    assert "urgent" in rows.first.inner_text().lower()
    link = rows.first.locator("a.case-link")
    href = link.get_attribute("href")
    assert href and re.fullmatch(r"/cases/\d+", href), href
    with page.expect_navigation():
        link.click()
    assert _path(page) == href
    assert page.locator("h1.case-title").inner_text().strip()


def test_case_media_is_shown_blurred(signed_in: SignedIn, screenshot: Screenshot) -> None:
    page = signed_in(ANALYST)
    _find_case(page, lambda p: _has_blurred_image(p) and _has_group_links(p))
    figures = page.locator("section#media figure.media-item")
    assert figures.count() > 0
    assert page.locator("section#media .revealed").count() == 0, "nothing revealed unasked"
    for i in range(figures.count()):
        figure = figures.nth(i)
        sha256 = figure.get_attribute("data-sha256") or ""
        assert re.fullmatch(r"[0-9a-f]{64}", sha256)
        thumb = figure.locator("img.thumb")
        assert thumb.count() == 1
        assert "blurred" in (thumb.get_attribute("class") or "").split()
        assert thumb.get_attribute("src") == f"/media/{sha256}/thumb"
    width, height = _natural_size(page, BLURRED)
    assert 0 < width <= THUMB_SIDE and 0 < height <= THUMB_SIDE, (width, height)
    thumb = page.request.get(page.locator(BLURRED).first.get_attribute("src") or "")
    assert thumb.status == 200 and thumb.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(thumb.body()))
    assert picture.mode == "L", "thumbnails are grey"
    assert max(picture.size) <= THUMB_SIDE

    page.locator("section#media").evaluate("section => section.scrollIntoView()")
    page.wait_for_function(VISIBLE_THUMBS_LOADED)
    screenshot(page, "case.png")


def test_a_reveal_shows_the_item_and_is_audited(
    signed_in: SignedIn, new_context: NewContext
) -> None:
    page = signed_in(REVIEWER)  # an analyst of their own: the others see nothing revealed
    case = _find_case(page, _has_blurred_image)
    figure = page.locator("section#media figure.media-item[data-kind=image]"
                          ":has(img.thumb.blurred)").first  # fmt: skip
    sha256 = figure.get_attribute("data-sha256")
    assert sha256
    stated = re.search(r"(\d+)\u00d7(\d+)", figure.locator("figcaption").inner_text())
    assert stated, "the caption gives the picture's size"
    form = page.locator(f"form.reveal-form[data-sha256='{sha256}']")
    form.locator("input[name=reason]").fill(REASON)
    with page.expect_navigation():
        form.locator("button.reveal-button").click()
    assert _path(page).startswith(case)
    item = f"figure.media-item[data-sha256='{sha256}']"
    page.locator(f"{item} img.revealed").wait_for(state="visible")
    assert page.locator(f"{item} img.thumb").count() == 0
    assert _natural_size(page, f"{item} img.revealed") == (int(stated[1]), int(stated[2]))
    assert page.locator("section#media .revealed").count() == 1, "one reveal shows one item"
    view = page.locator(f"{item} img.revealed").get_attribute("src") or ""
    assert view.startswith(f"/media/{sha256}/view?token=")

    refused = new_context().request.get(view, max_redirects=0)
    assert refused.status == 401, "a view link is no use without the session that revealed it"
    other = signed_in(ANALYST)
    other.goto(case)
    assert other.locator("section#media .revealed").count() == 0
    assert other.request.get(view).status == 403, "nor to another user"

    audit = signed_in(SUPERVISOR)
    audit.goto("/audit")
    rows = audit.locator("table#audit tr.audit-row").filter(has_text=sha256)
    assert rows.count() == 1, f"the audit view lists the one reveal of {sha256}"
    cells = [cell.strip() for cell in rows.first.locator("td").all_inner_texts()]
    assert "reveal" in cells
    assert REVIEWER.username in cells
    assert REASON in cells


def test_the_audit_view_is_not_for_analysts(signed_in: SignedIn) -> None:
    page = signed_in(ANALYST)
    response = page.goto("/audit")
    assert response is not None and response.status == 403
    assert page.locator("table#audit").count() == 0


def test_the_network_view_draws_the_group(signed_in: SignedIn, screenshot: Screenshot) -> None:
    page = signed_in(ANALYST)
    _find_case(page, _has_group_links)
    link = page.locator("section#groups a[href^='/groups/']").first
    href = link.get_attribute("href")
    with page.expect_navigation():
        link.click()
    assert _path(page) == href
    nodes = page.locator("div#network svg circle.node")
    nodes.nth(1).wait_for(state="attached")
    assert nodes.count() >= 2
    assert page.locator("div#network svg line, div#network svg path").count() >= 1
    page.wait_for_timeout(1500)  # let the layout settle before the picture
    screenshot(page, "network.png")


@pytest.mark.parametrize("path", ["/", "/cases?level=urgent", "/cases/1", "/audit"])
def test_an_anonymous_page_request_ends_on_login(new_context: NewContext, path: str) -> None:
    page = new_context().new_page()
    response = page.goto(path)
    assert _path(page).startswith("/login")
    assert response is not None and response.ok
    assert page.locator("form#login").is_visible()
    assert page.locator("table#cases, section#media, table#audit").count() == 0


def test_an_anonymous_media_request_is_refused(
    signed_in: SignedIn, new_context: NewContext
) -> None:
    page = signed_in(ANALYST)
    _find_case(page, _has_blurred_image)
    src = page.locator(BLURRED).first.get_attribute("src")
    assert src and src.startswith("/media/")
    allowed = page.request.get(src)
    assert allowed.status == 200 and allowed.headers["content-type"].startswith("image/")

    anonymous = new_context()
    refused = anonymous.request.get(src, max_redirects=0)
    assert refused.status == 401
    assert not refused.headers.get("content-type", "").startswith("image/")
    response = anonymous.new_page().goto(src)
    assert response is not None and response.status == 401
