"""Guided pre-check (情形引导): a service's questions, answered before its form.

A service's definition (``service_spec``) may carry ``precheck``: a list of questions, each
with its choices. A choice may

- ``materials`` / ``fields``: name materials and form fields that apply with this answer. A
  material or field that some choice names is *conditional*: it applies only when one of the
  chosen answers names it; everything else always applies.
- ``require``: materials or fields that become required with this answer.
- ``form``: {field name: [allowed values]}, what the form must say with this answer;
  ``not_future``: date fields that cannot lie after today with this answer. A form that says
  otherwise contradicts the pre-check and is refused with the reason.
- ``hint_zh``/``hint_en`` and ``service``: advice, possibly a different service to file;
  ``stop``: this answer cannot be filed here at all (the hint says what to do instead).

The answers' situation code (情形编码, SXQXBM of the national 办件 fields) is the position of
each chosen answer (1, 2, …) in question order, e.g. ``"121"``.
Pure: no Flask, no database. Errors are keyed by the question code or ``fields.<name>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .text import N_, Named, Text

CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_QUESTIONS = 9
MAX_CHOICES = 9
PREFIX = "pc_"  # the form/query name of a question's answer: pc_<question code>


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _names(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [_text(v) for v in value if _text(v)]


def canonical(raw: Any) -> list[dict[str, Any]] | str:
    """The questions in one shape, every key present (two that mean the same compare equal).
    Text (the admin editor's box) is read as JSON; text that is not a JSON list is kept as it
    is, for :func:`problems` to name."""
    if isinstance(raw, str):
        if not raw.strip():
            return []
        text: str = raw
        try:
            raw = json.loads(text)
        except ValueError:
            return text
        if not isinstance(raw, list):
            return text
    questions = []
    for q in raw if isinstance(raw, list | tuple) else []:
        if not isinstance(q, Mapping):
            continue
        choices = []
        for c in q.get("choices") or []:
            if not isinstance(c, Mapping):
                continue
            form: Mapping[str, Any] = c["form"] if isinstance(c.get("form"), Mapping) else {}
            choices.append(
                {
                    "value": _text(c.get("value")),
                    "label_zh": _text(c.get("label_zh")),
                    "label_en": _text(c.get("label_en")),
                    "materials": _names(c.get("materials")),
                    "fields": _names(c.get("fields")),
                    "require": _names(c.get("require")),
                    "form": {_text(k): _names(v) for k, v in form.items()},
                    "not_future": _names(c.get("not_future")),
                    "stop": bool(c.get("stop")),
                    "hint_zh": _text(c.get("hint_zh")),
                    "hint_en": _text(c.get("hint_en")),
                    "service": _text(c.get("service")),
                }
            )
        questions.append(
            {
                "code": _text(q.get("code")),
                "text_zh": _text(q.get("text_zh")),
                "text_en": _text(q.get("text_en")),
                "help_zh": _text(q.get("help_zh")),
                "help_en": _text(q.get("help_en")),
                "choices": choices,
            }
        )
    return questions


def _choice_problems(
    where: str,
    choices: Sequence[Mapping[str, Any]],
    materials: Collection[str],
    fields: Mapping[str, str],
) -> dict[str, Text]:
    errors: dict[str, Text] = {}
    values = [c["value"] for c in choices]
    if not 2 <= len(choices) <= MAX_CHOICES:
        errors[f"{where}.choices"] = N_("每个问题要有 2 到 %(n)s 个回答", n=MAX_CHOICES)
    elif any(not c["value"] or not c["label_zh"] for c in choices):
        errors[f"{where}.choices"] = N_("每个选项都要有取值和中文名称")
    elif len(set(values)) != len(values):
        errors[f"{where}.choices"] = N_("选项的取值不能重复")
    elif all(c["stop"] for c in choices):
        errors[f"{where}.choices"] = N_("至少要有一个回答可以继续申请")
    for j, c in enumerate(choices):
        named = (*c["materials"], *c["fields"], *c["require"], *c["form"])
        unknown = [n for n in named if n not in materials and n not in fields]
        unknown += [n for n in c["not_future"] if fields.get(n) != "date"]
        if unknown:
            errors[f"{where}.choices.{j}"] = N_(
                "没有这些材料或字段：%(names)s", names="、".join(unknown)
            )
    return errors


def problems(
    questions: Sequence[Mapping[str, Any]] | str,
    materials: Collection[str],
    fields: Mapping[str, str],
) -> dict[str, Text]:
    """What is wrong with canonical questions, keyed ``precheck.<i>.<key>``. ``fields``: the
    service's form fields {name: type}."""
    errors: dict[str, Text] = {}
    if isinstance(questions, str):
        return {"precheck": N_("情形问题应为 JSON 列表，请检查格式")}
    if len(questions) > MAX_QUESTIONS:
        errors["precheck"] = N_("情形问题最多 %(n)s 个", n=MAX_QUESTIONS)
    seen: set[str] = set()
    for i, q in enumerate(questions):
        where = f"precheck.{i}"
        if not CODE.match(q["code"]):
            errors[f"{where}.code"] = N_("问题编码用小写英文字母、数字和下划线，以字母开头")
        elif q["code"] in seen:
            errors[f"{where}.code"] = N_("问题编码不能重复")
        seen.add(q["code"])
        if not q["text_zh"]:
            errors[f"{where}.text_zh"] = N_("请填写中文问题")
        errors.update(_choice_problems(where, q["choices"], materials, fields))
    return errors


# ---- answering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hint:
    """Advice shown for an answer: possibly another service, possibly a stop."""

    question: str
    text_zh: str
    text_en: str
    service: str
    stop: bool


@dataclass(frozen=True)
class Outcome:
    """What the answers decide."""

    answers: dict[str, str]
    situation_code: str
    hidden_materials: frozenset[str] = frozenset()
    hidden_fields: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    hints: tuple[Hint, ...] = ()
    checks: tuple[tuple[Mapping[str, Any], Mapping[str, Any]], ...] = field(default=())

    @property
    def stopped(self) -> bool:
        return any(h.stop for h in self.hints)

    @property
    def answers_query(self) -> dict[str, str]:
        """The answers as the web form names them (``pc_<code>``)."""
        return {PREFIX + k: v for k, v in self.answers.items()}

    def applies(self, name: str) -> bool:
        """Whether a material (code) or form field (name) is asked for with these answers."""
        return name not in self.hidden_materials and name not in self.hidden_fields


def read_answers(
    questions: Sequence[Mapping[str, Any]], raw: Mapping[str, Any], *, prefix: str = ""
) -> tuple[dict[str, str], dict[str, Text]]:
    """Every question answered with one of its choices: (answers, errors by question code).
    ``prefix``: the keys in ``raw`` are ``<prefix><code>`` (the web form's ``pc_``)."""
    answers: dict[str, str] = {}
    errors: dict[str, Text] = {}
    for q in questions:
        value = raw.get(prefix + q["code"], "")
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            errors[q["code"]] = N_("请回答：%(question)s", question=_q(q))
        elif value not in {c["value"] for c in q["choices"]}:
            errors[q["code"]] = N_("请从列表中选择")
        else:
            answers[q["code"]] = value
    known = {q["code"] for q in questions}
    for key in raw:
        if prefix and not key.startswith(prefix):
            continue
        if key[len(prefix) :] not in known:
            errors[key[len(prefix) :]] = N_("该事项没有这个问题")
    return answers, errors


def _q(q: Mapping[str, Any]) -> Named:
    return Named(q["text_zh"], q["text_en"])


def _chosen(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, str]) -> list[Any]:
    out = []
    for q in questions:
        for position, c in enumerate(q["choices"], start=1):
            if answers.get(q["code"]) == c["value"]:
                out.append((q, c, position))
    return out


def decide(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, str]) -> Outcome:
    """The outcome of complete, valid answers (see :func:`read_answers`)."""
    chosen = _chosen(questions, answers)
    conditional = {
        name for q in questions for c in q["choices"] for name in (*c["materials"], *c["fields"])
    }
    selected = {name for _, c, _ in chosen for name in (*c["materials"], *c["fields"])}
    hidden = conditional - selected
    material_names = {n for q in questions for c in q["choices"] for n in c["materials"]}
    return Outcome(
        answers={q["code"]: c["value"] for q, c, _ in chosen},
        situation_code="".join(str(p) for _, _, p in chosen),
        hidden_materials=frozenset(hidden & material_names),
        hidden_fields=frozenset(hidden - material_names),
        required=frozenset(n for _, c, _ in chosen for n in c["require"]),
        hints=tuple(
            Hint(q["code"], c["hint_zh"], c["hint_en"], c["service"], c["stop"])
            for q, c, _ in chosen
            if c["hint_zh"] or c["stop"]
        ),
        checks=tuple((q, c) for q, c, _ in chosen if c["form"] or c["not_future"]),
    )


def contradictions(
    outcome: Outcome, form: Mapping[str, Any], labels: Mapping[str, Named], today: date
) -> dict[str, Text]:
    """The form's answers that contradict the pre-check, keyed ``fields.<name>``, each saying
    which answer it contradicts. ``form``: the clean form values; ``labels``: field labels."""
    errors: dict[str, Text] = {}
    for q, c in outcome.checks:
        answer = Named(c["label_zh"], c["label_en"])
        for name, allowed in c["form"].items():
            if name in form and str(form[name]) not in allowed:
                errors[f"fields.{name}"] = N_(
                    "%(field)s与您在情形引导中的回答不符（%(question)s %(answer)s），"
                    "请修改该项或重新回答",
                    field=labels.get(name, Named(name)),
                    question=_q(q),
                    answer=answer,
                )
        for name in c["not_future"]:
            value = form.get(name)
            if isinstance(value, str) and value > today.isoformat():
                errors[f"fields.{name}"] = N_(
                    "%(field)s晚于今天，与您在情形引导中的回答不符（%(question)s %(answer)s）",
                    field=labels.get(name, Named(name)),
                    question=_q(q),
                    answer=answer,
                )
    return errors


def preset(outcome: Outcome) -> dict[str, str]:
    """Form values the answers already settle: a field the answer allows one value for."""
    out: dict[str, str] = {}
    for _, c in outcome.checks:
        for name, allowed in c["form"].items():
            if len(allowed) == 1:
                out[name] = allowed[0]
    return out


def conditions(
    questions: Sequence[Mapping[str, Any]],
) -> dict[str, list[tuple[Named, Named, bool]]]:
    """For each conditional material or field: (question, answer, required with it) for every
    answer that brings it in, in question order; for the public service page."""
    out: dict[str, list[tuple[Named, Named, bool]]] = {}
    for q in questions:
        for c in q["choices"]:
            for name in (*c["materials"], *c["fields"]):
                entry = (_q(q), Named(c["label_zh"], c["label_en"]), name in c["require"])
                out.setdefault(name, []).append(entry)
    return out


def answered(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, str]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """(question, chosen choice or None) for showing stored answers (a later version's
    questions may not know an old value: None)."""
    out: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]] = []
    for q in questions:
        if q["code"] not in answers:
            continue
        choice = next((c for c in q["choices"] if c["value"] == answers[q["code"]]), None)
        out.append((q, choice))
    return out
