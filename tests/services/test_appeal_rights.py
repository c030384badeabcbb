"""The default appeal-rights text of a refusal (issue 14 item 1): shown in the clerk's
language, kept as one default whatever language the form showed it in, so a refusal sent
from an English page does not add the default again as a clerk's note on the notice."""

from __future__ import annotations

from tracker.domain.workflow import Action
from tracker.services import notices, wording

ENGLISH = wording.render(notices.DEFAULT_APPEAL_RIGHTS, "en")


def test_the_default_has_english():
    assert ENGLISH.startswith("If you disagree with this decision")
    assert "复议" not in ENGLISH


def test_the_default_in_any_language_is_kept_as_the_default():
    for shown in (ENGLISH, f"  {ENGLISH}\r\n", str(notices.DEFAULT_APPEAL_RIGHTS), "", None):
        assert notices.appeal_rights(shown) == notices.DEFAULT_APPEAL_RIGHTS
    assert notices.appeal_rights(" 另可向本机关申请复核。 ") == "另可向本机关申请复核。"


def test_a_refusal_sent_with_the_english_default_has_no_extra_note():
    facts = notices.move_facts(Action.REJECT, "不符合条件", {"appeal_rights": ENGLISH})
    assert facts["appeal_note"] == ""
    facts = notices.move_facts(Action.REJECT, "不符合条件", {"appeal_rights": "另可申请复核。"})
    assert facts["appeal_note"] == "另可申请复核。"
