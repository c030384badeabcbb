"""In Chromium: an admin edits a service (renames a question, adds a required question and a
required material), previews and publishes it; a case filed before shows its original form on
the citizen's and the clerk's case pages, and a new application shows the new question."""

from __future__ import annotations

from tests.builders import PASSWORD, admin, citizen, clerk, submit
from tracker.services import service_versions as sv

CODE = "mi-offsite-registration"
OFFICE = "510100-mi"


def _login(browser, base: str, login: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(base + "/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()
    return context, page


def test_a_service_edited_after_a_case_was_filed_leaves_that_case_form_unchanged(
    page, browser, app
):
    person, worker, boss = citizen(), clerk(OFFICE), admin()
    old = submit(CODE, person, OFFICE, OFFICE)
    n = len(sv.snapshot_of(sv.service(CODE))["form_fields"])
    m = len(sv.snapshot_of(sv.service(CODE))["materials"])

    # The admin edits the service: a question renamed, a required question and material added.
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(boss.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="服务事项").first.click()
    page.get_by_role("link", name="异地就医登记备案").click()
    assert page.locator("#f-0-label_zh").input_value() == "参保地"
    page.locator("#f-0-label_zh").fill("参保所在地")
    page.locator(f"#f-{n}-name").fill("employer")
    page.locator(f"#f-{n}-label_zh").fill("工作单位")
    page.locator(f"#f-{n}-label_en").fill("Employer")
    page.locator(f"#f-{n}-required").check()
    page.locator(f"#m-{m}-code").fill("lease")
    page.locator(f"#m-{m}-name_zh").fill("租房合同")
    page.locator(f"#m-{m}-required").check()
    page.get_by_role("button", name="预览申请表").click()
    preview = page.locator(".svc-preview")
    assert preview.get_by_text("工作单位").is_visible()
    assert preview.get_by_text("租房合同").is_visible()
    page.get_by_role("button", name="保存草稿").click()
    assert page.get_by_text("草稿已保存").is_visible()
    page.get_by_role("button", name="发布草稿").click()
    assert page.get_by_text("已发布新版本").is_visible()
    assert "form_fields.0.label_zh" in page.locator(".admin-history").inner_text()

    # The citizen's old case: the form it was filed with.
    citizen_ctx, mine = _login(browser, page.base, person.phone)
    mine.goto(f"{page.base}/cases/{old.tracking_number}")
    body = mine.locator("main").inner_text()
    assert "参保地" in body
    assert "参保所在地" not in body and "工作单位" not in body and "租房合同" not in body

    # The clerk's view of the same case.
    clerk_ctx, desk = _login(browser, page.base, worker.username)
    desk.goto(f"{page.base}/clerk/cases/{old.tracking_number}")
    body = desk.locator("main").inner_text()
    assert "参保地" in body
    assert "参保所在地" not in body and "工作单位" not in body and "租房合同" not in body
    clerk_ctx.close()

    # A new application uses the new version.
    answers = "pc_filing_type=temporary&pc_paid_already=no"  # its guided pre-check answered
    mine.goto(f"{page.base}/services/{CODE}/apply?{answers}")
    assert mine.get_by_label("工作单位").is_visible()
    assert mine.get_by_label("参保所在地").is_visible()
    assert mine.locator("legend", has_text="租房合同").is_visible()
    citizen_ctx.close()
    assert not page.problems
