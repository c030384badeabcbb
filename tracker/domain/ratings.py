"""好差评 (国办发〔2019〕51号, GB/T 39734-2020): one score of 1–5 per case, after completion.

A score of 1 or 2 (不满意, 非常不满意) is a bad rating (差评): it opens a rectification item
for the rated office (:mod:`tracker.domain.rectification`) and counts in the bad-rating rate.
:func:`is_bad` is the one definition; SQL filters use :data:`BAD_SCORES`, derived from it.
"""

from __future__ import annotations

MIN_SCORE, MAX_SCORE = 1, 5
BAD_SCORE_MAX = 2  # 不满意 and 非常不满意

# Best first: the order the rating form and the tables show them.
SCORE_LABELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Fairly satisfied"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
SCORES: tuple[int, ...] = tuple(SCORE_LABELS)


def is_valid_score(score: int) -> bool:
    return MIN_SCORE <= score <= MAX_SCORE


def is_bad(score: int) -> bool:
    """差评: a valid score of 1 or 2."""
    return MIN_SCORE <= score <= BAD_SCORE_MAX


BAD_SCORES: tuple[int, ...] = tuple(s for s in SCORES if is_bad(s))  # (2, 1)


def score_label_zh(score: int) -> str:
    return SCORE_LABELS[score][0]


def score_label_en(score: int) -> str:
    return SCORE_LABELS[score][1]
