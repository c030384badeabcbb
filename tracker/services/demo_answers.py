"""What the demo's applicants write and its clerks say (issue #16 item 6): answers that look
like a person's (employers, accounts, addresses, ID-like numbers generated with their check
characters, never "（演示）"), the applicant's own phone, the office of the region answered,
dates before the filing day; and reasons that fit the case's department.

Everything here is invented: the names, companies, account and card numbers are made up by
the generator (the streets and hospitals are real places, named as any address would be).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from ..models import Case, Service, User

STREETS = {
    "cd": (
        "成都市武侯区人民南路四段",
        "成都市锦江区东大街",
        "成都市成华区建设路",
        "成都市高新区天府大道中段",
        "成都市金牛区一环路北三段",
        "成都市青羊区光华大道",
    ),
    "cq": (
        "重庆市渝北区金开大道",
        "重庆市渝北区新牌坊一路",
        "重庆市江北区建新北路",
        "重庆市渝中区民族路",
        "重庆市沙坪坝区天星桥正街",
        "重庆市南岸区南坪西路",
    ),
}
HOSPITALS = {
    "cd": ("四川大学华西医院", "四川省人民医院", "成都市第三人民医院", "成都市第五人民医院"),
    "cq": (
        "重庆医科大学附属第一医院",
        "重庆市人民医院",
        "陆军军医大学第一附属医院",
        "重庆市渝北区人民医院",
    ),
}
BANKS = {
    "cd": ("中国工商银行成都春熙支行", "中国建设银行成都高新支行", "成都银行锦江支行"),
    "cq": ("中国农业银行重庆渝北支行", "重庆农村商业银行渝北支行", "中国银行重庆江北支行"),
}
TRADE_NAMES = ("蓉欣", "渝达", "川信", "巴蜀", "天府", "嘉陵", "锦城", "山城", "汇通", "恒盛")
TRADES = (
    "商贸有限公司",
    "科技有限公司",
    "建筑工程有限公司",
    "物流有限公司",
    "餐饮管理有限公司",
    "信息技术有限公司",
)
SHOPS = ("小吃店", "便利店", "五金经营部", "服装店", "茶馆")
SCOPES = (
    "餐饮服务；食品销售",
    "日用百货、五金交电销售",
    "软件开发；信息技术咨询服务",
    "道路货物运输；仓储服务",
)
RELATIONS = ("本人", "配偶", "子女", "父母")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def place_of(region: Any) -> str:
    """The demo place (``cd``/``cq``) a region code lies in: Sichuan or Chongqing."""
    return "cd" if str(region or "").startswith("51") else "cq"


def credit_code(region: str, rng: random.Random) -> str:
    """A unified social credit code (统一社会信用代码) with its check character."""
    body = "9" + "1" + region + "".join(rng.choice(USCC_CHARS[:10] + "ABCDEFGH") for _ in range(9))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _address(place: str, rng: random.Random) -> str:
    street = rng.choice(STREETS[place])
    return (
        f"{street}{rng.randint(1, 399)}号{rng.randint(1, 12)}栋"
        f"{rng.randint(1, 4)}单元{rng.randint(2, 32)}{rng.randint(1, 4):02d}室"
    )


def _company(place: str, rng: random.Random) -> str:
    city = "成都" if place == "cd" else "重庆"
    return f"{city}{rng.choice(TRADE_NAMES)}{rng.choice(TRADES)}"


# The region field each address or institution belongs to, by field name.
PLACE_OF_FIELD = {
    "residence_address": "treatment_region",
    "referral_hospital": "treatment_region",
    "hospital_name": "treatment_region",
    "origin_address": "origin_region",
    "destination_address": "destination_region",
    "new_address": "destination_region",
    "house_address": "lending_region",
    "premises": "registration_region",
    "original_employer": "transfer_out_region",
    "employer": "depositing_region",
}


def answers_for(
    service: Service,
    drawn: Mapping[str, object],
    rng: random.Random,
    *,
    applicant: User | None,
    day: date,
    other_place: str,
) -> dict[str, object]:
    """The form of one demo case: ``drawn`` (choices, numbers and regions already drawn)
    completed with what a person would write. An office field and its region field name the
    office of ``other_place`` (the transfer-out or depositing centre is the other side's)."""
    data = dict(drawn)
    name = applicant.real_name if applicant is not None else "张伟"
    phone = applicant.phone if applicant is not None and applicant.phone else "13900000001"
    resident_id = (applicant.resident_id if applicant is not None else None) or ""
    home = place_of(applicant.home_region_code if applicant is not None else "500112")
    for f in service.fields:
        if f.type == "office" and f.department_code:
            data[f.name] = f"{other_place}-{f.department_code}"
            if f.region_field:
                data[f.region_field] = other_place
    for f in service.fields:
        value = _answer(f.name, f.type, data, rng, name, resident_id, home, day)
        if f.type == "phone":
            value = phone
        if value is None:
            data.pop(f.name, None)
        elif f.type not in ("select", "integer", "money", "region", "office"):
            data[f.name] = value
    return data


def _answer(
    name: str,
    kind: str,
    data: Mapping[str, object],
    rng: random.Random,
    person: str,
    resident_id: str,
    home: str,
    day: date,
) -> object | None:
    """One answer by the field's name (None: left empty, as a person leaves an optional
    field that does not apply)."""
    place = place_of(data.get(PLACE_OF_FIELD.get(name, ""))) if name in PLACE_OF_FIELD else home
    dates = {
        "start_date": day + timedelta(days=rng.randint(1, 10)),
        "end_date": day + timedelta(days=rng.randint(60, 180)),
        "retirement_date": day - timedelta(days=rng.randint(15, 300)),
        "treatment_start_date": day - timedelta(days=rng.randint(20, 80)),
        "treatment_end_date": day - timedelta(days=rng.randint(3, 15)),
    }
    if name == "end_date" and data.get("filing_type") not in ("temporary", "referral"):
        return None
    if name == "treatment_end_date" and data.get("treatment_type") != "inpatient":
        return None
    if kind == "date":
        return dates.get(name, day - timedelta(days=rng.randint(1, 30))).isoformat()
    texts: dict[str, Callable[[], object | None]] = {
        "referral_hospital": lambda: (
            rng.choice(HOSPITALS[place]) if data.get("filing_type") == "referral" else None
        ),
        "hospital_name": lambda: rng.choice(HOSPITALS[place]),
        "residence_address": lambda: _address(place, rng),
        "origin_address": lambda: _address(place, rng),
        "destination_address": lambda: _address(place, rng),
        "new_address": lambda: _address(place, rng),
        "house_address": lambda: _address(place, rng),
        "premises": lambda: _address(place, rng),
        "delivery_address": lambda: (
            None if data.get("delivery_method") == "counter" else _address(home, rng)
        ),
        "bank_name": lambda: rng.choice(BANKS[home]),
        "bank_account": lambda: "6217" + _digits(rng, 15),
        "original_employer": lambda: _company(place, rng),
        "employer": lambda: _company(place, rng),
        "current_employer": lambda: _company(home, rng),
        "original_account": lambda: _digits(rng, 12),
        "transfer_in_account": lambda: _digits(rng, 12),
        "deposit_account": lambda: _digits(rng, 12),
        "account_number": lambda: _digits(rng, 12),
        "relation_to_householder": lambda: rng.choice(RELATIONS),
        "licence_number": lambda: resident_id or None,
        "file_number": lambda: ("5101" if home == "cd" else "5001") + _digits(rng, 8),
        "entity_name": lambda: (
            f"{'成都市' if place == 'cd' else '重庆市'}{person}{rng.choice(SHOPS)}"
            if data.get("entity_type") == "individual_business"
            else _company(place, rng)
        ),
        "credit_code": lambda: (
            None
            if data.get("registration_type") == "establish"
            else credit_code("510100" if place == "cd" else "500112", rng)
        ),
        "legal_representative": lambda: person,
        "business_scope": lambda: rng.choice(SCOPES),
        "certificate_number": lambda: (
            f"{resident_id}{rng.randint(1, 7)}{rng.randint(1, 4)}" if resident_id else None
        ),
    }
    if kind in ("text", "textarea") and name in texts:
        return texts[name]()
    if kind == "resident_id":
        return resident_id or None
    return None if kind in ("text", "textarea") else data.get(name)


# ---- reasons that fit the department ---------------------------------------------------------


@dataclass(frozen=True)
class Reasons:
    refuse: str
    reject: str
    tolerated: str
    supplement: str
    supplement_material: str
    supplement_note: str
    extension: str
    special: str
    negotiate: str


REASONS: dict[str, Reasons] = {
    "hf": Reasons(
        refuse="经核实，申请人住房公积金账户尚未封存，不符合提取或转移条件",
        reject="申请人的住房公积金缴存地不在本中心管辖范围，请向缴存地公积金中心申请",
        tolerated="原单位出具的公积金缴存证明可在领取结果时补交",
        supplement="公积金账户信息与原缴存单位记录不一致，一次性告知补正",
        supplement_material="id_card",
        supplement_note="身份证照片页不清晰，无法与公积金账户信息核对，请重新上传",
        extension="需向转出地公积金中心核对缴存明细",
        special="需核查原缴存单位的缴存记录",
        negotiate="转出地公积金账户余额与联系函所列金额不符，请核对",
    ),
    "mi": Reasons(
        refuse="经核实，申请人在参保地的基本医保参保状态为暂停，暂不能办理",
        reject="申请人的参保地医保经办机构不是本中心，请向参保地医保经办机构申请",
        tolerated="医保电子凭证截图可在领取结果时补交",
        supplement="就医票据不完整，一次性告知补正",
        supplement_material="id_card",
        supplement_note="身份证照片页不清晰，无法与医保参保信息核对，请重新上传",
        extension="需向就医地医保经办机构核对就医费用明细",
        special="需对就医费用票据进行真实性核查",
        negotiate="就医地医保经办机构费用明细与申报金额不符，请核对",
    ),
    "hrss": Reasons(
        refuse="经核实，申请人在原参保地的养老保险缴费记录存在重复缴费，需先清退后再申请",
        reject="申请人的社保关系不在本经办机构，请向原参保地社保经办机构申请",
        tolerated="原参保地社保经办机构出具的参保缴费凭证可在领取结果时补交",
        supplement="参保缴费信息与原参保地记录不一致，一次性告知补正",
        supplement_material="id_card",
        supplement_note="身份证照片页不清晰，无法与社保参保记录核对，请重新上传",
        extension="需向原参保地社保经办机构核对参保缴费记录",
        special="需核查原参保单位的社保缴费记录",
        negotiate="原参保地社保缴费月数与联系函所列不符，请核对",
    ),
    "psb": Reasons(
        refuse="经核实，申请人不符合迁入地户口迁入条件",
        reject="申请人的户口不在本所辖区，请向户口所在地公安派出所申请",
        tolerated="户口簿复印件可在领取结果时补交",
        supplement="户口迁移材料不全，一次性告知补正",
        supplement_material="id_card",
        supplement_note="身份证照片页不清晰，无法与户籍信息核对，请重新上传",
        extension="需向迁出地公安派出所核对户籍信息",
        special="需入户核查迁入地实际居住情况",
        negotiate="迁出地户籍登记信息与联系函所列不符，请核对",
    ),
    "traffic": Reasons(
        refuse="经核实，申请人的机动车驾驶证处于暂扣状态，不能补换领",
        reject="申请人的驾驶证核发地车管所不是本所，请向核发地车管所申请",
        tolerated="驾驶人体检证明可在领取新证时补交",
        supplement="驾驶人照片不符合要求，一次性告知补正",
        supplement_material="photo",
        supplement_note="驾驶证照片须为白色背景的近期正面免冠照片，请重新上传",
        extension="需向核发地车管所核对驾驶证档案",
        special="需核查驾驶证档案信息",
        negotiate="驾驶证档案信息与申请不符，请核对",
    ),
    "amr": Reasons(
        refuse="经核实，申请登记的名称与登记机关已登记的市场主体名称相同，不予登记",
        reject="申请登记的市场主体不属于本登记机关管辖，请向住所所在地登记机关申请",
        tolerated="住所使用证明原件可在领取营业执照时补交",
        supplement="经营场所证明不完整，一次性告知补正",
        supplement_material="premises_document",
        supplement_note="住所（经营场所）使用证明缺少产权人签字，请补充后重新上传",
        extension="需核对住所（经营场所）产权信息",
        special="需实地核查经营场所",
        negotiate="登记机关核对的住所信息与申请不符，请核对",
    ),
    "dpf": Reasons(
        refuse="经核实，申请人的残疾人证已过有效期，需先办理换证",
        reject="申请人的残疾人证不在本残联管理，请向原发证地残联申请",
        tolerated="近期免冠照片可在领取新证时补交",
        supplement="残疾人证迁移材料不全，一次性告知补正",
        supplement_material="disability_certificate",
        supplement_note="残疾人证照片页不清晰，请重新上传",
        extension="需向迁出地残联核对残疾人证档案",
        special="需对残疾类别和等级进行复核评定",
        negotiate="迁出地残疾人证档案信息与申请不符，请核对",
    ),
}
GENERAL = Reasons(
    refuse="经核实，申请不符合办理条件",
    reject="申请事项不属于本部门职权范围，请向有权部门申请",
    tolerated="缺少的材料可在领取结果时补交",
    supplement="材料不清晰，一次性告知补正",
    supplement_material="id_card",
    supplement_note="身份证照片页不清晰，请重新上传",
    extension="需跨省核对申请信息",
    special="需组织现场核查",
    negotiate="对方部门的信息与联系函不符，请核对",
)


def reasons_for(case: Case) -> Reasons:
    """The reasons a clerk of the case's department gives; a material the service does not
    ask for is replaced by the ID card."""
    words = REASONS.get(case.service.department_code, GENERAL)
    codes = {m.code for m in case.service.materials}
    if words.supplement_material not in codes:
        words = replace(words, supplement_material="id_card")
    return words
