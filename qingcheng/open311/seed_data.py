"""Default Open311 options and extra questions for a few standard subclasses (GB/T 30428.2 codes), so
the service definitions carry every datatype of the specification. A bureau edits them in the admin.

Used by migration 0002 and by `manage.py open311_seed` (which also creates the jurisdictions); the
function takes the model classes so the migration can pass its historical models.
"""

from __future__ import annotations

from typing import Any

from .validators import ATTRIBUTE_CODE

# code: (service type, keywords, extra groups, private, staff only)
OPTIONS: dict[str, tuple[str, str, str, bool, bool]] = {
    "E0102": ("realtime", "垃圾,rubbish,litter,fly-tipping", "环境卫生", False, False),
    "C0305": ("realtime", "垃圾桶,litter bin", "环境卫生", False, False),
    "E0401": ("realtime", "坑洞,pothole", "道路", False, False),
    # Illegal building is verified on site before it is taken in: clients get a token (batch).
    "E0101": ("batch", "违建,illegal construction", "", False, False),
    # Reports about vulnerable people are handled but never listed publicly.
    "E0502": ("realtime", "", "", True, False),
    # Dust on building sites is measured by inspectors: offered to staff applications only.
    "E0302": ("realtime", "扬尘,dust", "", False, True),
}

# code: [(attribute code, order, variable, datatype, required, question, hint, [(key, name)])]
ATTRIBUTES: dict[str, list[tuple[str, int, bool, str, bool, str, str, list[tuple[str, str]]]]] = {
    "E0102": [
        (
            "amount",
            1,
            True,
            "singlevaluelist",
            True,
            "垃圾大约有多少？",
            "选一项",
            [
                ("bag", "少量（一两袋以内）"),
                ("pile", "一堆（约1至3平方米）"),
                ("large", "大量（3平方米以上或需车辆清运）"),
            ],
        ),
        (
            "kinds",
            2,
            True,
            "multivaluelist",
            False,
            "是哪类垃圾？",
            "可多选",
            [
                ("household", "生活垃圾"),
                ("kitchen", "厨余垃圾"),
                ("construction", "建筑垃圾、渣土"),
                ("bulky", "大件垃圾（家具等）"),
                ("hazardous", "有害垃圾（电池、灯管、药品等）"),
            ],
        ),
        (
            "first_seen",
            3,
            True,
            "datetime",
            False,
            "最早什么时候看到的？",
            "如 2026-03-01T08:00:00+08:00",
            [],
        ),
    ],
    "C0305": [
        ("bin_number", 1, True, "string", False, "垃圾箱上的编号", "箱体侧面的喷印编号，没有可不填", []),
        (
            "problem",
            2,
            True,
            "singlevaluelist",
            True,
            "垃圾箱有什么问题？",
            "选一项",
            [("overflow", "满溢"), ("broken", "破损"), ("missing", "缺失")],
        ),
    ],
    "E0401": [
        (
            "safety",
            1,
            False,
            "string",
            False,
            "如有人员或车辆陷入坑中，请立即拨打 119 或 110。",
            "",
            [],
        ),
        ("size_m", 2, True, "number", True, "塌陷或坑洞最长的一边约多少米？", "以米为单位，如 0.8", []),
        (
            "traffic",
            3,
            True,
            "singlevaluelist",
            False,
            "对通行有什么影响？",
            "选一项",
            [("none", "不影响通行"), ("partial", "占用部分车道或人行道"), ("blocked", "道路无法通行")],
        ),
    ],
    "E0301": [
        ("noise_at", 1, True, "datetime", True, "噪声是什么时候发生的？", "如 2026-03-01T23:30:00+08:00", []),
        ("site", 2, True, "string", False, "工地名称或施工单位", "围挡上公示牌所写的名称", []),
        ("details", 3, True, "text", False, "噪声的情况", "机械种类、持续多久、是否每晚都有", []),
    ],
}


def seed_defaults(
    *, option_model: Any, attribute_model: Any, value_model: Any, overwrite: bool = False
) -> dict[str, int]:
    """Create the default options and questions that are missing (or reset them with `overwrite`)."""
    wrong = [
        f"{c}.{row[0]}" for c, rows in ATTRIBUTES.items() for row in rows if not ATTRIBUTE_CODE.match(row[0])
    ]
    if wrong:
        raise ValueError(f"attribute codes must be ASCII letters, digits, _ or -: {', '.join(wrong)}")
    created = {"options": 0, "attributes": 0, "values": 0}
    for code, (kind, keywords, groups, private, staff) in OPTIONS.items():
        defaults = {
            "service_type": kind,
            "keywords": keywords,
            "extra_groups": groups,
            "private": private,
            "staff_only": staff,
        }
        if overwrite:
            _, made = option_model.objects.update_or_create(category_code=code, defaults=defaults)
        else:
            _, made = option_model.objects.get_or_create(category_code=code, defaults=defaults)
        created["options"] += int(made)
    for category_code, rows in ATTRIBUTES.items():
        for code, order, variable, datatype, required, question, hint, values in rows:
            existing = attribute_model.objects.filter(category_code=category_code, code=code).first()
            if existing is not None and not overwrite:
                continue
            if existing is None:
                # Keep `order` unique: move aside a bureau's own question that holds this position.
                taken = attribute_model.objects.filter(category_code=category_code, order=order).exists()
                if taken:
                    top = (
                        attribute_model.objects.filter(category_code=category_code).order_by("-order").first()
                    )
                    order = top.order + 1
                existing = attribute_model(category_code=category_code, code=code)
                created["attributes"] += 1
            existing.order = order
            existing.variable = variable
            existing.datatype = datatype
            existing.required = required
            existing.description = question
            existing.datatype_description = hint
            existing.active = True
            existing.save()
            for n, (key, name) in enumerate(values, start=1):
                _, made = value_model.objects.update_or_create(
                    attribute=existing, key=key, defaults={"name": name, "order": n}
                )
                created["values"] += int(made)
    return created
