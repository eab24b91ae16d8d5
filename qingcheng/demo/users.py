"""Demo departments and one user per role for the Hohhot demo city.

Unit names follow the real structure of Hohhot's city-management bureaus (street offices are created
by the demo city loader from the real street list); people are synthetic
(names like 演示监督员 make that obvious), and so are their phone numbers (the 1380000xxxx range).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from qingcheng.accounts.models import Department, User
from qingcheng.accounts.services import department_create, roles_sync, user_create

DEMO_PASSWORD = "qingcheng-demo-2026"

# code, name, kind, area_code, parent code
DEMO_DEPARTMENTS: list[tuple[str, str, str, str, str | None]] = [
    ("HHHT-CG", "呼和浩特市城市管理综合执法局", "enforcement", "150100", None),
    ("HHHT-ZH", "呼和浩特市数字化城市管理指挥中心", "command", "150100", "HHHT-CG"),
    ("HHHT-SZ", "呼和浩特市市政设施管理处", "professional", "150100", "HHHT-CG"),
    ("HHHT-YL", "呼和浩特市园林绿化管理处", "professional", "150100", None),
    ("HHHT-HW", "呼和浩特市环境卫生管理处", "professional", "150100", "HHHT-CG"),
    ("150102-CG", "新城区城市管理综合执法局", "enforcement", "150102", "HHHT-CG"),
    ("150103-CG", "回民区城市管理综合执法局", "enforcement", "150103", "HHHT-CG"),
    ("150104-CG", "玉泉区城市管理综合执法局", "enforcement", "150104", "HHHT-CG"),
    ("150105-CG", "赛罕区城市管理综合执法局", "enforcement", "150105", "HHHT-CG"),
    ("150105-HW-WB", "赛罕区环卫保洁外包作业单位（演示）", "contractor", "150105", "150105-CG"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    roles: tuple[str, ...]
    area_code: str
    department: str | None
    staff_category: str = User.StaffCategory.OFFICIAL


DEMO_USERS: list[DemoUser] = [
    DemoUser("admin", "演示系统管理员", ("admin",), "150100", "HHHT-ZH"),
    DemoUser("supervisor", "演示监督员", ("supervisor",), "150105", "HHHT-ZH", User.StaffCategory.CONTRACTOR),
    DemoUser("receiver", "演示受理员", ("receiver",), "150100", "HHHT-ZH"),
    DemoUser("shiftleader", "演示值班长", ("shift_leader",), "150100", "HHHT-ZH"),
    DemoUser("dispatcher", "演示派遣员", ("dispatcher",), "150100", "HHHT-ZH"),
    DemoUser("dispatcher_xc", "演示派遣员（新城区）", ("dispatcher",), "150102", "150102-CG"),
    DemoUser("handler", "演示处置人员", ("handler",), "150100", "HHHT-SZ"),
    DemoUser("unitmanager", "演示部门管理员", ("unit_manager",), "150100", "HHHT-SZ"),
    DemoUser("leader", "演示领导", ("leader",), "150100", "HHHT-CG"),
    DemoUser("officer", "演示执法人员", ("enforcement_officer",), "150105", "150105-CG"),
    DemoUser("officer2", "演示执法人员二", ("enforcement_officer",), "150105", "150105-CG"),
    DemoUser("enforcementhead", "演示执法负责人", ("enforcement_head",), "150105", "150105-CG"),
    DemoUser("legal", "演示法制审核员", ("legal_reviewer",), "150100", "HHHT-CG"),
    DemoUser("auxiliary", "演示协管员", ("auxiliary",), "150105", "150105-CG", User.StaffCategory.AUXILIARY),
    DemoUser("hotline", "演示坐席员", ("hotline_agent",), "150100", "HHHT-ZH"),
    DemoUser("procuratorate", "演示检察监督员", ("procuratorate",), "150100", None),
    DemoUser("citizen", "演示市民", ("citizen",), "150100", None, User.StaffCategory.PUBLIC),
    DemoUser("apiclient", "演示接口客户端", ("api_client",), "150100", None, User.StaffCategory.SYSTEM),
]


@transaction.atomic
def load_demo_users() -> dict[str, int]:
    """Create the demo departments and users if missing. Idempotent: existing rows are left alone."""
    roles_sync()
    created_departments = 0
    by_code = {d.code: d for d in Department.objects.all()}
    for code, name, kind, area_code, parent_code in DEMO_DEPARTMENTS:
        if code in by_code:
            continue
        by_code[code] = department_create(
            actor=None,
            code=code,
            name=name,
            kind=kind,
            area_code=area_code,
            parent=by_code.get(parent_code or ""),
        )
        created_departments += 1
    created_users = 0
    for index, demo in enumerate(DEMO_USERS):
        if User.objects.filter(username=demo.username).exists():
            continue
        user_create(
            actor=None,
            username=demo.username,
            password=DEMO_PASSWORD,
            area_code=demo.area_code,
            display_name=demo.display_name,
            phone=f"1380000{index:04d}",
            department=by_code.get(demo.department or ""),
            roles=demo.roles,
            staff_category=demo.staff_category,
            enforcement_certificate=f"演示-{index:06d}"
            if {"enforcement_officer", "enforcement_head"} & set(demo.roles)
            else "",
        )
        created_users += 1
    if not User.objects.filter(is_superuser=True).exists():
        root = User.objects.get(username="admin")
        root.is_superuser = True
        root.is_staff = True
        root.save(update_fields=["is_superuser", "is_staff"])
    return {"departments": created_departments, "users": created_users}


def demo_logins_text() -> str:
    from qingcheng.accounts.roles import ROLES_BY_KEY

    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}) at http://127.0.0.1:8000/login/"]
    for demo in DEMO_USERS:
        labels = " ".join(f"{ROLES_BY_KEY[r].name_zh} {ROLES_BY_KEY[r].name_en}" for r in demo.roles)
        lines.append(f"  {demo.username:<15} {labels:<32} area {demo.area_code}")
    return "\n".join(lines)
