"""A rejection reaches the citizen as a signed PDF, in real Chromium (issue 12, "Done when").

The clerk refuses to accept as "not competent": first without naming the competent office (the
form refuses beside the field, nothing written), then naming it. The citizen sees the
不予受理决定书 with the competent office and the appeal rights (行政复议 60 days, 行政诉讼
6 months), downloads the PDF, /verify confirms its code and the uploaded file; pyHanko's
signature check accepts the PDF and refuses it after one byte is changed.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.browser.test_clerk_journeys import (  # noqa: F401  (fixtures)
    click_and_wait,
    clock,
    open_move,
    person,
)
from tests.builders import citizen, clerk, submit
from tracker.services import notices

HF = "510100-hf"
COMPETENT = "重庆市住房公积金管理中心"


def test_a_rejection_reaches_the_citizen_as_a_verifiable_signed_pdf(
    app: Flask,
    page,
    person,  # noqa: F811
    clock,  # noqa: F811
    tmp_path: Path,
) -> None:
    applicant, worker = citizen(), clerk(HF)
    case = submit("hf-retirement-withdrawal", applicant, HF, HF)

    desk = person(worker)
    desk.goto(f"{desk.base}/clerk/cases/{case.tracking_number}")
    open_move(desk, "不予受理")
    desk.get_by_label("不属于本机关职权范围", exact=True).check()
    desk.get_by_label("不予受理理由").fill("申请人户籍和缴存地均在重庆")
    click_and_wait(desk, desk.get_by_role("button", name="确认不予受理"))
    error = desk.locator("#competent_office_hint-error")
    assert error.is_visible() and "有权机关" in error.inner_text()
    assert desk.get_by_label("不予受理理由").input_value() == "申请人户籍和缴存地均在重庆"
    desk.get_by_label("有权办理的部门（不属于本机关职权范围时必填）").fill(COMPETENT)
    click_and_wait(desk, desk.get_by_role("button", name="确认不予受理"))
    assert desk.get_by_text("已完成：不予受理").is_visible()

    home = person(applicant)
    home.goto(f"{home.base}/cases/{case.tracking_number}")
    docs = home.locator("section[aria-labelledby=notices-title]")
    assert "不予受理决定书" in docs.inner_text()
    docs.get_by_text("查看全文").click()
    words = docs.locator(".notice-doc-body").inner_text()
    assert COMPETENT in words
    assert "六十日内向成都市人民政府申请行政复议" in words
    assert "六个月内依法向人民法院提起行政诉讼" in words
    with home.expect_download() as info:
        docs.get_by_role("link", name="下载PDF").click()
    saved = tmp_path / "notice.pdf"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-") and info.value.suggested_filename.endswith(".pdf")

    # /verify: the code from the page, then the downloaded file itself.
    code = docs.locator(".notice-code").first.inner_text()
    with home.expect_navigation():
        docs.get_by_role("link", name="核验").click()
    assert "验证通过" in home.inner_text("main")
    assert "不予受理决定书" in home.inner_text("main")
    assert applicant.real_name not in home.inner_text("main")
    home.get_by_label("PDF文件（可选）").set_input_files(str(saved))
    click_and_wait(home, home.get_by_role("button", name="核验", exact=True))
    assert "完全一致，电子签章有效" in home.inner_text("main")
    assert home.get_by_label("验证码").input_value() == code

    # The signature: accepted as downloaded, refused after one changed byte (also by /verify).
    keys = notices.KeySettings(app.config["NOTICE_KEYS_DIR"], False)
    assert notices.signature_check(data, keys).ok
    tampered = bytearray(data)
    tampered[data.index(b"/Contents") - 40] ^= 0x01
    assert not notices.signature_check(bytes(tampered), keys).ok
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    home.get_by_label("PDF文件（可选）").set_input_files(str(bad))
    click_and_wait(home, home.get_by_role("button", name="核验", exact=True))
    assert "不一致" in home.inner_text("main")
    assert not page.problems, page.problems  # console errors, CSP violations
