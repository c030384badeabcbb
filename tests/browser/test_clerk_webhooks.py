"""The webhook page in Chromium, at 1280 and 360 px: a refused URL keeps what was typed and
says why beside the field; a good one shows its secret once; deliveries list their attempts;
nothing is wider than the screen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.conftest import RESULTS
from tests.builders import PASSWORD, citizen, clerk, office, submit
from tests.webhook_receiver import receiver
from tracker.extensions import db
from tracker.services import webhooks
from tracker.services.webhooks import Policy


@pytest.mark.parametrize("width", [1280, 360])
def test_register_an_endpoint_and_read_the_deliveries(page, app, width):
    with receiver([500]) as rx:
        webhooks.register_endpoint(
            office("500112-hf").id,
            rx.url,
            ["submit", "accept"],
            created_by=None,
            created_by_name="cli",
            now=datetime.now(UTC),
            policy=Policy(allow_private=True),
        )
        case = submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        webhooks.deliver_due(Policy(allow_private=True, timeout=2))
    user = clerk("500112-hf")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(page.base + "/login")
    page.get_by_label("手机号 / 身份证号 / 用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录", exact=True).click()
    page.goto(page.base + "/clerk/webhooks")
    assert case.tracking_number in page.inner_text("body")
    assert "HTTP 500" in page.inner_text("body")

    page.fill("#url", "ftp://hf.example.org/hooks")
    page.check("input[value='case.forward']")
    page.click("form[action$='/clerk/webhooks'] button[type=submit]")
    assert "http://" in page.inner_text("#url-error")
    assert page.input_value("#url") == "ftp://hf.example.org/hooks"
    assert page.is_checked("input[value='case.forward']")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"webhooks-error-{width}.png"), full_page=True)

    page.fill("#url", "https://hf.example.org/hooks")
    page.click("form[action$='/clerk/webhooks'] button[type=submit]")
    secret = page.inner_text(".secret-value")
    assert secret.startswith("whsec_")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"webhooks-{width}.png"), full_page=True)
    for n, section in enumerate(page.locator("main section").all()):
        section.screenshot(path=str(RESULTS / f"webhooks-{width}-section{n}.png"))
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"page is {overflow}px wide at {width}px"
    page.goto(page.base + "/clerk/webhooks?lang=en")
    assert "Recent deliveries" in page.inner_text("body")
    assert "whsec_" not in page.inner_text("body")  # the secret was shown once
    page.screenshot(path=str(RESULTS / f"webhooks-en-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.problems == []
