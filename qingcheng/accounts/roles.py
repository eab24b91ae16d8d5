"""The platform's roles (角色) as Django groups with real permissions.

Each app may add permissions to roles through `role_permissions` on its AppConfig and declare which of
its permissions are enforcement acts through `enforcement_permissions`; `sync_roles` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps


@dataclass(frozen=True)
class Role:
    key: str
    name_zh: str
    name_en: str
    description_en: str
    permissions: tuple[str, ...] = field(default_factory=tuple)
    staff: bool = False  # may use the back office (Django admin)

    @property
    def group_name(self) -> str:
        return self.key


VIEW_ACCOUNTS = ("accounts.view_department", "accounts.view_user")

SUPERVISOR = Role(
    "supervisor", "监督员", "Supervisor", "Walks a beat, reports problems, verifies and checks cases."
)
RECEIVER = Role(
    "receiver",
    "受理员",
    "Receiver",
    "Takes in reports from every channel, verifies them and opens or rejects cases.",
    ("accounts.view_personal_data",),
)
SHIFT_LEADER = Role(
    "shift_leader",
    "值班长",
    "Shift leader",
    "Approves extensions, parking and returns; closes cases.",
    ("accounts.view_personal_data", *VIEW_ACCOUNTS),
    staff=True,
)
DISPATCHER = Role(
    "dispatcher",
    "派遣员",
    "Dispatcher",
    "Sends opened cases to the one responsible unit and re-dispatches returned ones.",
    ("accounts.view_department", "accounts.change_department"),
    staff=True,
)
HANDLER = Role(
    "handler", "处置人员", "Handler", "Works cases of their unit: accepts, handles, reports back with photos."
)
UNIT_MANAGER = Role(
    "unit_manager",
    "部门管理员",
    "Unit manager",
    "Manages their unit's people and cases; applies for extensions and returns.",
    ("accounts.manage_accounts", *VIEW_ACCOUNTS, "accounts.change_user", "accounts.change_department"),
    staff=True,
)
LEADER = Role(
    "leader",
    "领导",
    "Leader",
    "Sees everything in their area, supervises (督办) and evaluates; approves second extensions.",
    ("accounts.view_personal_data", *VIEW_ACCOUNTS),
)
ENFORCEMENT_OFFICER = Role(
    "enforcement_officer",
    "执法人员",
    "Enforcement officer",
    "Holds an enforcement certificate; investigates and performs administrative enforcement acts.",
    ("accounts.perform_enforcement_act", "accounts.view_personal_data"),
)
ENFORCEMENT_HEAD = Role(
    "enforcement_head",
    "执法负责人",
    "Enforcement head",
    "Head of an enforcement agency: approves filing, decides penalties and transfers of suspected crimes.",
    ("accounts.perform_enforcement_act", "accounts.view_personal_data"),
)
LEGAL_REVIEWER = Role(
    "legal_reviewer",
    "法制审核员",
    "Legal reviewer",
    "Reviews the legality of major enforcement decisions.",
    ("accounts.view_personal_data",),
)
AUXILIARY = Role(
    "auxiliary",
    "协管员",
    "Auxiliary",
    "Assists officers (patrols, persuasion, reporting); may never perform an enforcement act.",
)
HOTLINE_AGENT = Role(
    "hotline_agent",
    "坐席员",
    "Hotline agent",
    "Answers 12319 calls, takes work orders from 12345 and 110, calls reporters back.",
    ("accounts.view_personal_data",),
)
PROCURATORATE = Role(
    "procuratorate",
    "检察监督",
    "Procuratorate observer",
    "Read-only supervision of enforcement and transfers of suspected crimes.",
    ("accounts.observe_only", *VIEW_ACCOUNTS),
)
CITIZEN = Role("citizen", "公众", "Citizen", "Reports problems and follows their own reports.")
ADMIN = Role(
    "admin",
    "系统管理员",
    "Administrator",
    "Manages accounts, departments, calendars and catalogues in their area.",
    (
        "accounts.manage_accounts",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.add_department",
        "accounts.change_department",
        "accounts.view_department",
        "accounts.add_apikey",
        "accounts.change_apikey",
        "accounts.view_apikey",
        "auth.view_group",
        "core.view_auditentry",
        "core.view_calendaroverride",
        "core.add_calendaroverride",
        "core.change_calendaroverride",
        "core.delete_calendaroverride",
        "core.view_calendaryear",
        "core.add_calendaryear",
        "core.change_calendaryear",
        "core.view_workschedule",
        "core.add_workschedule",
        "core.change_workschedule",
        "core.view_deadline",
    ),
    staff=True,
)
API_CLIENT = Role(
    "api_client",
    "接口客户端",
    "API client",
    "A client application using the JSON API.",
    ("accounts.use_api",),
)

ROLES: tuple[Role, ...] = (
    SUPERVISOR,
    RECEIVER,
    SHIFT_LEADER,
    DISPATCHER,
    HANDLER,
    UNIT_MANAGER,
    LEADER,
    ENFORCEMENT_OFFICER,
    ENFORCEMENT_HEAD,
    LEGAL_REVIEWER,
    AUXILIARY,
    HOTLINE_AGENT,
    PROCURATORATE,
    CITIZEN,
    ADMIN,
    API_CLIENT,
)
ROLES_BY_KEY = {role.key: role for role in ROLES}
READ_ONLY_ROLES = frozenset({PROCURATORATE.key})


def role_permissions() -> dict[str, set[str]]:
    """Permissions of every role: the defaults above plus what installed apps add."""
    result = {role.key: set(role.permissions) for role in ROLES}
    for config in apps.get_app_configs():
        for key, perms in getattr(config, "role_permissions", {}).items():
            result.setdefault(key, set()).update(perms)
    return result


def enforcement_permissions() -> set[str]:
    """Every permission that is an enforcement act ("app_label.codename")."""
    result = {"accounts.perform_enforcement_act"}
    for config in apps.get_app_configs():
        result.update(getattr(config, "enforcement_permissions", ()))
    return result


def role_label(key: str, language: str = "zh-hans") -> str:
    role = ROLES_BY_KEY.get(key)
    if role is None:
        return key
    return role.name_en if language.startswith("en") else role.name_zh
