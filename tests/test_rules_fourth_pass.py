"""The shipped codebook's fourth rule pass (issue 12): each family chosen by
`benchmarks/rule_crossval.py --candidates` codes a sentence of its kind, in words none of the tuning
sets uses, and leaves alone a sentence where the same words mean something else. The sentences are
new, written for this test, not taken from any set."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.autocode import explain
from qualcode.codebook import Codebook, load

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def book() -> Codebook:
    return load(ROOT / "codebooks" / "migration.yaml")


def codes(book: Codebook, lang: str, text: str) -> set[str]:
    return {c.code for c in explain(book, lang, text).codings}


@pytest.mark.parametrize(("code", "lang", "must_code", "must_not"), [
    # 'never enough', 'for food' need money in the sentence: an off-topic life story's
    # "it was never enough for me" is no pay (the negative control)
    ("push.low_income", "en", "Back in Kentau the salary was never enough, we had nothing.",
     "Keeping house was never enough for me, so I studied."),
    ("push.low_income", "en", "In the village we lived off my grandmother's pension.",
     "We went to the market for food on Sundays."),
    ("push.low_income", "ru", "У нас в районе зарплата была смешная.",
     "Здесь зарплата тоже смешная, но жильё дали."),
    ("push.low_income", "ru", "На зарплату медсестры семью не прокормишь.",
     "Корову мы держали, так что семью прокормили."),
    ("resource.education", "ru", "У меня техникум, механик по ремонту.",
     "На завод нужен человек с техникумом."),
    ("resource.education", "en", "I have a diploma from the agrarian college.",
     "The plant needed someone with a college diploma."),
    ("resource.skills", "en", "I can weld anything, pipes, frames, tanks.",
     "I want to learn a trade so that I can weld."),
    ("covid.job_loss", "en", "In April 2020 the shop closed and I sat at home.",
     "In 2020 my sister came to stay with us at home."),
    ("gender.work_barrier", "en", "At the plant they said the jobs were only for husbands.",
     "My husband works at the plant, on the night shift."),
    ("resource.secondary_income", "ru", "По выходным шью на заказ, немного денег сверху.",
     "Хочу, чтобы была подработка по выходным."),
])
def test_fourth_pass_families(book: Codebook, code: str, lang: str, must_code: str, must_not: str) -> None:
    assert code in codes(book, lang, must_code), must_code
    assert code not in codes(book, lang, must_not), must_not
