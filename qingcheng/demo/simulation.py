"""A month of simulated traffic for the demo city, driven through the real case services.

`simulate_city(days=30, per_day=40, seed=1)` replays the `days` days ending yesterday (or the day named
by `until`): reports arrive hour by hour with a daily profile, and every case then moves through the
seven-step loop at times drawn from distributions, each step a real `case_report` / `case_act` /
`case_overdue_sweep` call made with the business clock (`qingcheng.core.clock.at`) standing at that time.
Nothing is written around the services, so the timeline, deadlines, notifications and audit chain are
exactly what real use would leave.

Rates follow the shared reference (cn-standards §10): patrols by supervisors dominate (≈85 %), hotline
(≈8 %, 12319 mostly, some 12345 transfers with their order numbers) and public reports (≈5 %) are a
minority, video and sensors ≈2 %; 非法小广告, 乱堆物堆料 and 暴露垃圾 lead the subclasses. About 8 % of
patrol reports are self-handled (自行处置), 5 % of reports are not opened, 3 % are merged into an earlier
report, and of dispatched cases about 8 % fail their check once (返工), 3 % are returned (回退, after a
wrong dispatch), 4 % get an extension (延期), 1 % are parked (挂账) and 1 % deferred (缓办); hotline and
public reporters are called back and about 10 % are not satisfied. Each handling unit has its own median
handling time (as a share of the time limit, lognormal per case), so some units run late and 10–25 % of
cases go overdue.

Who acts:
- the centre (receiver, dispatcher, shift leader) is on duty 08:00–18:00 every day and is played by the
  first active user of the role whose area covers the case (the demo users receiver, dispatcher,
  shiftleader); supervisors patrol 08:00–18:00 and verify/check the cases of their beats;
- every supervision beat without a supervisor gets one synthetic supervisor per community (username
  ``sim-sup-<community code>``, display name ending in "（模拟）", no password), because the services
  accept supervisor reports only from a supervisor in scope;
- handling units work in the bureau's working time (`qingcheng.core.worktime`); a unit's actions are done
  by its first handler / unit manager when it has one (the demo handler and unitmanager of 市政设施管理处),
  otherwise by the system (`actor=None`, shown as "system" in the timeline);
- the hotline (12319 agent, demo user hotline) takes calls round the clock and calls back 09:00–20:00;
  public reports come from the web without an account, some from the demo citizen;
- the overdue sweep runs every simulated hour.

Cases reported in the last hours of the window stay in early states; a few cases near the end stop at
a chosen state (a request not yet approved, a check not yet done) so every state of the workflow is
present. The demo supervisor (the field app's demo login, ``supervisor``) is left a few open tasks: some
reports near the end fall in their beats and stop once sent to them for verification (核实) or check (核查),
so 城管通 opens to a task list. Same seed and same database → same arrivals, same case numbers and same
states.
The whole run is one transaction: it either leaves the full month or nothing.

Speed: every step is a real service call (about 20 queries), so SQLite simulates about 10 cases a second
on one core; the default 40 reports a working day (≈1,100 a month) keeps the first `make run` within a
few minutes. Hohhot's four urban districts would produce several hundred a day (`--per-day 400`).
"""

from __future__ import annotations

import heapq
import io
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from qingcheng.accounts.models import Department, User
from qingcheng.core import clock
from qingcheng.core.access import has_permission, is_in_scope
from qingcheng.core.audit import audit_record
from qingcheng.core.errors import DomainError
from qingcheng.core.models import AuditEntry
from qingcheng.core.scope import area_covers
from qingcheng.core.worktime import WorkCalendar, add_working_time, working_time_between

logger = logging.getLogger("qingcheng.demo.simulation")

MARKER_ACTION = "demo.city_simulated"
SIM_TAG = "（模拟）"

# Share of each channel in the arrivals (cn-standards §10: patrols dominate, machines growing).
SOURCE_WEIGHTS = [
    ("supervisor", 85.0),
    ("hotline_12319", 6.0),
    ("hotline_12345", 2.0),
    ("public", 5.0),
    ("video", 1.5),
    ("sensor", 0.5),
]
CALLBACK_SOURCES = {"hotline_12319", "hotline_12345", "public"}

# Hourly profile of arrivals (index = hour of day, local time).
PATROL_HOURS = [0] * 8 + [6, 10, 11, 9, 4, 2, 4, 9, 10, 8] + [0] * 6
CALL_HOURS = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 3, 6, 9, 10, 9, 7, 6, 7, 8, 8, 7, 6, 6, 5, 4, 3, 2]
MACHINE_HOURS = [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 4, 3]

# Subclass weights by channel; subclasses of the catalogue not named here get a small weight.
PATROL_SUBCLASSES = {
    "E0201": 24, "E0507": 12, "E0102": 10, "E0504": 6, "E0505": 5, "E0501": 5, "E0506": 4, "E0103": 4,
    "E0104": 4, "E0106": 2, "E0108": 2, "E0202": 2, "E0204": 2, "E0503": 2, "E0510": 1.5, "E0101": 1.5,
    "E0203": 1, "E0107": 1, "E0404": 1, "E0302": 1, "C0305": 2, "C0101": 0.6, "C0102": 0.6, "C0103": 0.6,
    "C0104": 0.5, "C0118": 1, "C0211": 0.6, "C0402": 0.6, "C0203": 0.4, "C0213": 0.3, "C0405": 0.4,
}  # fmt: skip
CALL_SUBCLASSES = {
    "E0301": 10, "E0508": 8, "E0510": 8, "E0102": 8, "E0507": 6, "E0504": 6, "E0101": 5, "E0505": 5,
    "E0103": 4, "E0302": 4, "E0404": 4, "E0402": 2, "E0401": 2, "E0201": 3, "C0118": 3, "C0101": 2,
    "C0102": 2, "C0305": 2, "C0402": 2, "E0502": 1,
}  # fmt: skip
VIDEO_SUBCLASSES = {"E0504": 4, "E0505": 3, "E0501": 3, "E0510": 2, "E0102": 2, "E0506": 2}
SENSOR_SUBCLASSES = {"C0101": 2, "C0102": 2, "C0103": 2, "C0105": 1, "C0111": 1, "C0305": 4}
URGENT_SHARE = {
    "C0101": 0.3,
    "C0102": 0.3,
    "C0103": 0.3,
    "C0105": 0.3,
    "C0111": 0.5,
    "C0402": 0.2,
    "E0401": 0.4,
    "E0402": 0.4,
    "E0403": 0.8,
}
HANDLING_TYPES = {"E0101": [("停工", 4), ("处罚", 2), ("拆除", 1), ("", 3)]}

CANCEL_REASONS = ["不属于城市管理范围", "现场无此问题", "描述不清且无法联系上报人", "已由其他部门处理完毕"]
DEFER_REASONS = ["冬季低温无法施工，待气温回升后处置", "涉及规划调整，暂缓处置", "重大活动期间暂缓施工"]
EXTENSION_REASONS = ["需协调产权单位共同处置", "所需材料需采购，无法按期完成", "工程量较大，需分段施工"]
PARK_REASONS = ["需列入年度维修计划，资金待批复", "涉及历史遗留问题，需多部门协调", "季节性问题，待来年处置"]
RETURN_REASONS = ["不属于本单位职责范围", "位置不在本单位辖区，请改派"]

# Every state of the workflow; the run makes sure each is present at the end (see _choose_holds).
ALL_STATES = (
    "reported", "verifying", "verified", "opened", "dispatched", "handling", "extension_requested",
    "return_requested", "park_requested", "parked", "deferred", "feedback", "checking", "check_passed",
    "closed", "cancelled", "merged", "self_handled",
)  # fmt: skip

# The field app's demo login and how many of each open task the simulation leaves them (核实, 核查).
DEMO_SUPERVISOR = "supervisor"
DEMO_SUPERVISOR_TASKS = {"verifying": 3, "checking": 2}

DUTY_HOURS = (8, 18)  # the centre and the supervisors
CALLBACK_HOURS = (9, 20)


# ---------------------------------------------------------------------- public API


@dataclass
class SimulationResult:
    cases: int = 0
    actions: int = 0
    failures: int = 0
    seconds: float = 0.0
    first_day: date | None = None
    last_day: date | None = None
    by_status: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    overdue: int = 0  # overdue (cases.selectors.overdue_now_q) when the simulated days end
    synthetic_users: int = 0

    @property
    def missing_states(self) -> list[str]:
        return [state for state in ALL_STATES if not self.by_status.get(state)]

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def already_simulated() -> bool:
    """Whether a simulation has been recorded in this database (it leaves an audit entry)."""
    return AuditEntry.objects.filter(action=MARKER_ACTION).exists()


def simulate_city(
    *,
    days: int = 30,
    per_day: int = 40,
    seed: int = 1,
    until: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Simulate `days` days of traffic ending with the day `until` (default: yesterday), about
    `per_day` reports a day, deterministically for `seed`. One transaction."""
    if days < 1 or per_day < 1:
        raise ValueError("days and per_day must be at least 1")
    tz = ZoneInfo(settings.TIME_ZONE)
    last_day = until or (clock.now().astimezone(tz).date() - timedelta(days=1))
    first_day = last_day - timedelta(days=days - 1)
    started = time.perf_counter()
    with transaction.atomic():
        sim = _Simulation(
            seed=seed, per_day=per_day, first_day=first_day, last_day=last_day, tz=tz, progress=progress
        )
        result = sim.run()
        result.seconds = time.perf_counter() - started
        audit_record(
            actor=None,
            action=MARKER_ACTION,
            object_type="demo.simulation",
            object_id=str(seed),
            area_code="",
            after={
                "seed": seed,
                "days": days,
                "per_day": per_day,
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
                "cases": result.cases,
                "actions": result.actions,
                "failures": result.failures,
            },
        )
    return result


# ---------------------------------------------------------------------- internals


@dataclass
class _SimCase:
    index: int
    rng: random.Random
    at: datetime
    source: str
    grid_index: int = -1
    grid_code: str = ""
    lon: float = 0.0
    lat: float = 0.0
    category: str = ""
    urgency: str = "normal"
    handling_type: str = ""
    reporter: Any = None
    # the plan, drawn at arrival
    self_handled: bool = False
    cancel: bool = False
    cancel_direct: bool = False
    duplicate: bool = False
    category_at_report: bool = True
    wrong_dispatch: bool = False
    reject_return: bool = False
    extension: bool = False
    reject_extension: bool = False
    park: bool = False
    reject_park: bool = False
    stay_parked: bool = False
    defer: bool = False
    rework: bool = False
    unsatisfied: bool = False
    hold: str = ""
    # progress
    case_id: int | None = None
    number: str = ""
    status: str = ""
    merge_target: _SimCase | None = None
    department_id: int | None = None
    wrong_department_id: int | None = None
    clock_start: datetime | None = None
    due_at: datetime | None = None
    returned: bool = False
    extended: bool = False
    parked: bool = False
    deferred: bool = False
    reworked: bool = False
    called_back_unsatisfied: bool = False
    round_the_clock: bool = False


class _Simulation:
    def __init__(self, *, seed, per_day, first_day, last_day, tz, progress) -> None:
        from qingcheng.geo import spatial

        self.seed = seed
        self.per_day = per_day
        self.first_day = first_day
        self.last_day = last_day
        self.tz = tz
        self.progress = progress
        self.start = datetime.combine(first_day, datetime.min.time(), tz)
        self.end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tz)
        self.rng = random.Random(f"qingcheng-sim:{seed}")
        self.calendar = WorkCalendar.load()
        self.result = SimulationResult(first_day=first_day, last_day=last_day)
        self.heap: list[tuple[datetime, int, str, int]] = []
        self.seq = 0
        self.cases: list[_SimCase] = []
        self.recent: deque[_SimCase] = deque(maxlen=400)
        spatial.invalidate()  # beats or grids may have changed since the index was built
        self.index = spatial.get_index(force_check=True)
        if not len(self.index):
            raise DomainError(
                "no_grids",
                "没有单元网格，请先加载演示城市",
                "there are no unit grids; load the demo city first",
                status=409,
            )
        self._load_catalogue()
        self._load_people()
        self._load_departments()
        self._load_photos()

    # ------------------------------------------------------------------ set-up

    def _load_catalogue(self) -> None:
        from qingcheng.cases.catalogue import current_version, step_limit
        from qingcheng.cases.models import CaseCategory

        version = current_version()
        if version is None:
            raise DomainError(
                "no_catalogue", "没有当前的案件分类目录", "there is no current case catalogue", status=409
            )
        categories = (
            CaseCategory.objects.filter(version=version, active=True)
            .select_related("parent")
            .prefetch_related("limits", "parent__limits")
        )
        self.categories = {c.code: c for c in categories if c.is_subclass}
        if not self.categories:
            raise DomainError(
                "no_catalogue", "案件分类目录没有小类", "the catalogue has no subclasses", status=409
            )
        self._step_limit = step_limit

        def table(weights: dict[str, float], default: float) -> tuple[list[str], list[float]]:
            codes = sorted(self.categories)
            return codes, [weights.get(code, default) for code in codes]

        self.subclass_tables = {
            "supervisor": table(PATROL_SUBCLASSES, 0.15),
            "call": table(CALL_SUBCLASSES, 0.3),
            "video": table(VIDEO_SUBCLASSES, 0.0),
            "sensor": table(SENSOR_SUBCLASSES, 0.0),
        }
        for key in ("video", "sensor"):
            if not any(self.subclass_tables[key][1]):
                self.subclass_tables[key] = self.subclass_tables["supervisor"]

    def _load_people(self) -> None:
        from qingcheng.geo.models import SupervisionBeat

        def members(role: str) -> list[User]:
            return list(User.objects.filter(is_active=True, groups__name=role).order_by("pk").distinct())

        # Beats without a supervisor get one synthetic supervisor per street.
        beats = list(SupervisionBeat.objects.order_by("code").prefetch_related("supervisors"))
        empty = [b for b in beats if not any(u.is_active for u in b.supervisors.all())]
        by_area: dict[str, list[SupervisionBeat]] = {}
        for beat in empty:
            by_area.setdefault(beat.area_code[:9], []).append(beat)
        for area_code, area_beats in sorted(by_area.items()):
            user = self._synthetic_user(f"sim-sup-{area_code}", area_code, "supervisor", "监督员")
            for beat in area_beats:
                beat.supervisors.add(user)
        self.beat_supervisor: dict[str, User] = {}
        users_by_pk: dict[int, User] = {}
        for beat in SupervisionBeat.objects.order_by("code").prefetch_related("supervisors"):
            active = sorted((u for u in beat.supervisors.all() if u.is_active), key=lambda u: u.pk)
            if active:
                # One object per user, so permission caches are shared.
                self.beat_supervisor[beat.code] = users_by_pk.setdefault(active[0].pk, active[0])
        self.receivers = members("receiver")
        self.dispatchers = members("dispatcher")
        self.shift_leaders = members("shift_leader")
        self.hotline_agents = members("hotline_agent")
        # Hotline reports need an agent in scope: one synthetic agent per district nobody covers.
        districts = sorted({code[:6] for code in self.index.code_list})
        for district in districts:
            if not any(is_in_scope(u, district + "000000000") for u in self.hotline_agents):
                self.hotline_agents.append(
                    self._synthetic_user(f"sim-hotline-{district}", district, "hotline_agent", "12319坐席")
                )
        self.supervisors = list(users_by_pk.values()) or members("supervisor")
        self.citizen = next(iter(members("citizen")), None)
        # Grids a supervisor reports in: those of beats with a supervisor.
        self.patrol_grids = sorted(
            i
            for i, code in enumerate(self.index.code_list)
            if code in self.index.beat_of_grid and self.index.beat_of_grid[code] in self.beat_supervisor
        )

    def _synthetic_user(self, username: str, area_code: str, role: str, label: str) -> User:
        from qingcheng.accounts.services import user_create

        user = User.objects.filter(username=username).first()
        if user is None:
            name = self.index.area_names.get(area_code, area_code)
            user = user_create(
                actor=None,
                username=username,
                password=None,
                area_code=area_code,
                display_name=f"{label}·{name}{SIM_TAG}"[:60],
                roles=[role],
                staff_category=User.StaffCategory.CONTRACTOR
                if role == "supervisor"
                else User.StaffCategory.OFFICIAL,
            )
            self.result.synthetic_users += 1
        return user

    def _load_departments(self) -> None:
        handling_kinds = {
            Department.Kind.STREET,
            Department.Kind.PROFESSIONAL,
            Department.Kind.CONTRACTOR,
            Department.Kind.COMMUNITY,
        }
        self.departments = [
            d for d in Department.objects.filter(is_active=True).order_by("code") if d.kind in handling_kinds
        ]
        if not self.departments:
            self.departments = list(Department.objects.filter(is_active=True).order_by("code"))
        self.unit_handler: dict[int, User] = {}
        self.unit_manager: dict[int, User] = {}
        for user in (
            User.objects.filter(is_active=True, department__isnull=False)
            .order_by("pk")
            .select_related("department")
        ):
            if has_permission(user, "cases.handle_case"):
                self.unit_handler.setdefault(user.department_id, user)
            if has_permission(user, "cases.apply_case"):
                self.unit_manager.setdefault(user.department_id, user)
        # Each unit's median handling time as a share of its limit: most units on time, a few late.
        unit_rng = random.Random(f"qingcheng-sim-units:{self.seed}")
        self.unit_speed = {
            d.pk: min(1.1, max(0.25, unit_rng.lognormvariate(math.log(0.62), 0.35))) for d in self.departments
        }

    def _load_photos(self) -> None:
        from PIL import Image

        from qingcheng.cases.services import PhotoUpload

        def jpeg(colour: tuple[int, int, int]) -> bytes:
            buffer = io.BytesIO()
            Image.new("RGB", (32, 24), colour).save(buffer, format="JPEG", quality=60)
            return buffer.getvalue()

        self.before = PhotoUpload(jpeg((150, 120, 90)), "before", "before.jpg")
        self.after = PhotoUpload(jpeg((90, 150, 110)), "after", "after.jpg")

    # ------------------------------------------------------------------ arrivals

    def _arrivals(self) -> list[_SimCase]:
        rng = self.rng
        sources = [s for s, _ in SOURCE_WEIGHTS]
        source_weights = [w for _, w in SOURCE_WEIGHTS]
        if not self.patrol_grids:
            source_weights[0] = 0.0
        cases: list[_SimCase] = []
        day = self.first_day
        while day <= self.last_day:
            factor = 0.75 if day.weekday() >= 5 else 1.0
            count = max(1, round(self.per_day * factor * rng.uniform(0.9, 1.1)))
            drawn = []
            for _ in range(count):
                source = rng.choices(sources, source_weights)[0]
                profile = (
                    PATROL_HOURS
                    if source == "supervisor"
                    else MACHINE_HOURS
                    if source in ("video", "sensor")
                    else CALL_HOURS
                )
                hour = rng.choices(range(24), profile)[0]
                at = datetime.combine(day, datetime.min.time(), self.tz) + timedelta(
                    hours=hour, seconds=rng.randrange(3600)
                )
                drawn.append((at, source))
            for at, source in sorted(drawn):
                index = len(cases)
                cases.append(
                    _SimCase(
                        index=index,
                        rng=random.Random(f"qingcheng-sim:{self.seed}:{index}"),
                        at=at,
                        source=source,
                    )
                )
            day += timedelta(days=1)
        for case in cases:
            self._plan(case)
        self._choose_holds(cases)
        return cases

    def _plan(self, c: _SimCase) -> None:
        r = c.rng
        if c.source == "supervisor":
            table = self.subclass_tables["supervisor"]
        elif c.source in ("video", "sensor"):
            table = self.subclass_tables[c.source]
        else:
            table = self.subclass_tables["call"]
        c.category = r.choices(*table)[0]
        c.urgency = "urgent" if r.random() < URGENT_SHARE.get(c.category, 0.0) else "normal"
        if c.category in HANDLING_TYPES:
            types, weights = zip(*HANDLING_TYPES[c.category], strict=True)
            c.handling_type = r.choices(types, weights)[0]
        grids = self.patrol_grids if c.source == "supervisor" else None
        c.grid_index = r.choice(grids) if grids else r.randrange(len(self.index.code_list))
        c.grid_code = self.index.code_list[c.grid_index]
        c.lon, c.lat = self._point_in(c.grid_index, r)
        if c.source == "supervisor":
            c.reporter = self.beat_supervisor[self.index.beat_of_grid[c.grid_code]]
            c.self_handled = r.random() < 0.08
            c.duplicate = not c.self_handled and r.random() < 0.015
            c.cancel = not c.self_handled and not c.duplicate and r.random() < 0.03
        elif c.source in ("video", "sensor"):
            c.cancel = r.random() < 0.15  # false alarms
        else:
            if c.source.startswith("hotline") and not self.hotline_agents:
                c.source = "public"  # nobody answers the hotline in this database
            c.reporter = self._staff(self.hotline_agents, c) if c.source.startswith("hotline") else None
            if c.source == "public" and self.citizen is not None and r.random() < 0.2:
                c.reporter = self.citizen
            c.duplicate = r.random() < 0.13
            c.cancel = not c.duplicate and r.random() < 0.2
            c.cancel_direct = c.cancel and r.random() < 0.4
            c.category_at_report = c.duplicate or r.random() < 0.6
            c.unsatisfied = r.random() < 0.10
        if not c.self_handled:
            c.wrong_dispatch = r.random() < 0.03
            c.reject_return = r.random() < 0.15
            c.extension = r.random() < 0.045
            c.reject_extension = r.random() < 0.15
            c.park = not c.extension and r.random() < 0.012
            c.reject_park = r.random() < 0.15
            c.stay_parked = r.random() < 0.3
            c.defer = not c.park and r.random() < 0.012
            c.rework = r.random() < 0.08

    def _choose_holds(self, cases: list[_SimCase]) -> None:
        """Stop a few cases near the end at chosen states, so every state of the workflow is present."""
        rng = random.Random(f"qingcheng-sim-holds:{self.seed}")
        taken: set[int] = set()

        def pick(
            state: str,
            window: tuple[int, int],
            accept: Callable[[_SimCase], bool],
            setup: Callable[[_SimCase], None],
        ) -> None:
            """Two cases reported between `window[0]` and `window[1]` hours before the end."""
            low, high = self.end - timedelta(hours=window[0]), self.end - timedelta(hours=window[1])
            pool = [c for c in cases if low <= c.at < high and c.index not in taken and accept(c)]
            for c in rng.sample(pool, min(2, len(pool))):
                taken.add(c.index)
                c.hold = state
                c.cancel = c.cancel_direct = c.duplicate = False
                setup(c)

        def plain(c: _SimCase) -> bool:
            return not c.self_handled and c.source in ("supervisor", "video", "sensor")

        def called(c: _SimCase) -> bool:
            return c.source in CALLBACK_SOURCES

        def clean(c: _SimCase) -> None:
            c.wrong_dispatch = c.extension = c.park = c.defer = c.rework = False

        def plan(**flags: bool) -> Callable[[_SimCase], None]:
            def setup(c: _SimCase) -> None:
                clean(c)
                for key, value in flags.items():
                    setattr(c, key, value)

            return setup

        # Hours before the end of the window: the last day's office hours are 16..8 hours before midnight.
        night, office, days, weeks = (16, 0), (16, 9), (96, 24), (288, 48)
        pick("reported", night, plain, clean)
        pick("verifying", office, called, clean)
        pick("verified", office, called, clean)
        pick("opened", office, plain, clean)
        pick("dispatched", office, plain, clean)
        pick("self_handled", office, lambda c: c.source == "supervisor", plan(self_handled=True))
        pick("handling", days, plain, clean)
        pick("extension_requested", days, plain, plan(extension=True))
        pick("return_requested", days, plain, plan(wrong_dispatch=True))
        pick("park_requested", days, plain, plan(park=True))
        pick("feedback", days, plain, clean)
        pick("checking", days, plain, clean)
        pick("check_passed", days, plain, clean)
        pick("parked", weeks, plain, plan(park=True, reject_park=False))
        pick("deferred", weeks, plain, plan(defer=True))
        self._choose_demo_supervisor_tasks(cases, taken)

    def _choose_demo_supervisor_tasks(self, cases: list[_SimCase], taken: set[int]) -> None:
        """Move a few arrivals into the demo supervisor's beats and stop them once a task is sent to them:
        public reports sent for verification (核实) and patrol reports sent for a check (核查). The tasks
        come from the centre's own `send_verification` / `send_check`, assigned to the beat's supervisor."""
        demo = next((u for u in self.supervisors if u.username == DEMO_SUPERVISOR), None)
        grids = [
            i
            for i in self.patrol_grids
            if demo is not None
            and self.beat_supervisor[self.index.beat_of_grid[self.index.code_list[i]]] == demo
        ]
        if not grids:
            return
        rng = random.Random(f"qingcheng-sim-demo-tasks:{self.seed}")

        def move(c: _SimCase, state: str, source: str) -> None:
            taken.add(c.index)
            c.hold, c.source = state, source
            c.reporter = demo if source == "supervisor" else None
            c.self_handled = c.cancel = c.cancel_direct = c.duplicate = False
            c.wrong_dispatch = c.extension = c.park = c.defer = c.rework = False
            c.category_at_report = True
            c.grid_index = rng.choice(grids)
            c.grid_code = self.index.code_list[c.grid_index]
            c.lon, c.lat = self._point_in(c.grid_index, c.rng)

        # Reported from the afternoon before the last day to its early afternoon: the centre sends the
        # verification within the window. Checks follow dispatch and handling: reported a day or more before.
        for state, source, hours in (("verifying", "public", (40, 9)), ("checking", "supervisor", (120, 24))):
            low, high = self.end - timedelta(hours=hours[0]), self.end - timedelta(hours=hours[1])
            pool = [c for c in cases if low <= c.at < high and c.index not in taken]
            for c in rng.sample(pool, min(DEMO_SUPERVISOR_TASKS[state], len(pool))):
                move(c, state, source)

    def _point_in(self, grid_index: int, rng: random.Random) -> tuple[float, float]:
        geom = self.index.geoms[grid_index]
        x0, y0, x1, y1 = geom.bounds
        for _ in range(25):
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if self.index.lookup(lon, lat) == grid_index:
                return round(lon, 7), round(lat, 7)
        point = geom.representative_point()
        return point.x, point.y

    # ------------------------------------------------------------------ time

    def _local(self, t: datetime) -> datetime:
        return t.astimezone(self.tz)

    def _in_window(self, t: datetime, hours: tuple[int, int], rng: random.Random) -> datetime:
        """`t` if it lies inside the daily window, else the window's next opening (plus a few minutes)."""
        local = self._local(t)
        start, end = hours
        if start <= local.hour < end:
            return t
        day = local.date() if local.hour < start else local.date() + timedelta(days=1)
        return datetime.combine(day, datetime.min.time(), self.tz) + timedelta(
            hours=start, minutes=rng.uniform(0, 40)
        )

    def _centre(self, t: datetime, c: _SimCase) -> datetime:
        return self._in_window(t, DUTY_HOURS, c.rng)

    def _unit(self, t: datetime, c: _SimCase) -> datetime:
        """The next moment the unit works: inside the bureau's working time, unless it works round the clock."""
        if c.round_the_clock:
            return t
        local = self._local(t).replace(tzinfo=None)
        day = local.date()
        for _ in range(60):
            for begin, end in self.calendar.working_intervals(day, c.grid_code):
                if local < end:
                    if local >= begin:
                        return t
                    return begin.replace(tzinfo=self.tz) + timedelta(minutes=c.rng.uniform(0, 30))
            day += timedelta(days=1)
        return t

    def _delay(self, c: _SimCase, median_minutes: float, sigma: float = 0.6) -> timedelta:
        factor = min(6.0, c.rng.lognormvariate(0.0, sigma))
        return timedelta(minutes=max(1.0, median_minutes * factor))

    def _work_after(self, c: _SimCase, start: datetime, effort: timedelta) -> datetime:
        if c.round_the_clock:
            return start + effort
        return add_working_time(
            self._unit(start, c), effort, area_code=c.grid_code, calendar=self.calendar
        ).due_at

    def _limit_effort(self, c: _SimCase, start: datetime, due: datetime | None) -> timedelta:
        """The working time the unit has between `start` and the deadline."""
        if due is None:
            return timedelta(hours=4)
        if c.round_the_clock:
            return max(timedelta(minutes=30), due - start)
        return max(
            timedelta(minutes=30),
            working_time_between(start, due, area_code=c.grid_code, calendar=self.calendar),
        )

    def _finish(self, c: _SimCase, t: datetime, share: float | None = None) -> datetime:
        """When the unit reports back, starting at `t`: a lognormal share of the limit around the unit's median."""
        median = share if share is not None else self.unit_speed.get(c.department_id or 0, 0.5)
        factor = min(4.0, median * c.rng.lognormvariate(0.0, 0.65))
        start = c.clock_start or t
        effort = self._limit_effort(c, start, c.due_at) * factor
        if c.round_the_clock:
            spent = max(timedelta(0), t - start)
        else:
            spent = working_time_between(start, t, area_code=c.grid_code, calendar=self.calendar)
        remaining = max(timedelta(minutes=10), effort - spent)
        return self._work_after(c, t, remaining)

    # ------------------------------------------------------------------ the loop

    def _push(self, at: datetime, action: str, index: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, action, index))

    def run(self) -> SimulationResult:
        from qingcheng.cases.services import case_overdue_sweep

        self.cases = self._arrivals()
        for c in self.cases:
            self._push(c.at, "report", c.index)
        hour = self.start + timedelta(minutes=5)
        while hour < self.end:
            self._push(hour, "sweep", -1)
            hour += timedelta(hours=1)
        total_days = (self.last_day - self.first_day).days + 1
        started = time.perf_counter()
        day_mark = self.start + timedelta(days=1)
        while self.heap:
            at, _, action, index = heapq.heappop(self.heap)
            if at >= self.end:
                break
            while at >= day_mark:
                self._report_progress(day_mark, total_days, started)
                day_mark += timedelta(days=1)
            with clock.at(at):
                if action == "sweep":
                    case_overdue_sweep(now=at)
                else:
                    self._step(self.cases[index], action, at)
        self._report_progress(self.end, total_days, started)
        self._summarise()
        return self.result

    def _report_progress(self, mark: datetime, total_days: int, started: float) -> None:
        if self.progress is None:
            return
        done = (self._local(mark).date() - self.first_day).days
        elapsed = time.perf_counter() - started
        rate = self.result.cases / elapsed if elapsed else 0.0
        self.progress(
            f"day {done}/{total_days} ({self._local(mark).date() - timedelta(days=1)}): {self.result.cases} cases, "
            f"{self.result.actions} actions, {elapsed:.1f} s ({rate:.0f} cases/s)"
        )

    def _summarise(self) -> None:
        from qingcheng.cases.models import Case
        from qingcheng.cases.selectors import overdue_now_q

        ids = [c.case_id for c in self.cases if c.case_id]
        qs = (
            Case.objects.filter(pk__in=ids)
            if len(ids) < 900
            else Case.objects.filter(pk__gte=min(ids, default=0), pk__lte=max(ids, default=0))
        )
        self.result.by_status = dict(
            sorted(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        )
        self.result.by_source = dict(
            sorted(qs.values_list("source").annotate(n=Count("id")).values_list("source", "n"))
        )
        self.result.overdue = qs.filter(overdue_now_q(self.end)).count()

    def _step(self, c: _SimCase, action: str, at: datetime) -> None:
        handler = getattr(self, f"_do_{action}")
        try:
            following = handler(c, at)
        except DomainError as exc:
            self.result.failures += 1
            logger.warning("simulation: %s on case %s at %s failed: %s", action, c.number or c.index, at, exc)
            return
        if following is None:
            return
        next_at, next_action = following
        if c.hold and c.status == c.hold:
            return
        self._push(max(next_at, at + timedelta(seconds=1)), next_action, c.index)

    def _act(
        self,
        c: _SimCase,
        action: str,
        actor: Any,
        data: dict | None = None,
        photos: list | None = None,
        note: str = "",
    ) -> Any:
        from qingcheng.cases.services import case_act

        case = case_act(
            case_id=c.case_id, actor=actor, action=action, data=data or {}, photos=photos or [], note=note
        )
        c.status = case.status
        self.result.actions += 1
        return case

    def _staff(self, users: list[User], c: _SimCase) -> User | None:
        for user in users:
            if is_in_scope(user, c.grid_code):
                return user
        return None

    def _field_actor(self, c: _SimCase) -> User | None:
        beat = self.index.beat_of_grid.get(c.grid_code)
        if beat and beat in self.beat_supervisor:
            return self.beat_supervisor[beat]
        return self._staff(self.supervisors, c)

    # ------------------------------------------------------------------ steps

    def _description(self, c: _SimCase) -> str:
        category = self.categories[c.category]
        names = self.index.area_names
        where = f"{names.get(c.grid_code[:9], '')}{names.get(c.grid_code[:12], '')}"
        verb = {"supervisor": "巡查发现", "video": "视频智能识别发现", "sensor": "物联感知设备报警："}.get(
            c.source, "市民反映"
        )
        return f"{where}{verb}{category.name}（{category.opening_criteria or category.name}）。{SIM_TAG}"

    def _do_report(self, c: _SimCase, at: datetime):
        from qingcheng.cases.services import case_report

        if c.duplicate:
            candidates = [
                o
                for o in self.recent
                if o.case_id
                and o.status in _MERGE_TARGET_STATES
                and o.at >= at - timedelta(hours=48)
                and (
                    c.source != "supervisor"
                    or self.index.beat_of_grid.get(o.grid_code) in self.beat_supervisor
                )
            ]
            if candidates:
                target = c.rng.choice(candidates)
                c.merge_target = target
                c.category = target.category
                c.urgency = target.urgency
                c.handling_type = target.handling_type
                c.grid_code, c.grid_index = target.grid_code, target.grid_index
                c.lon, c.lat = self._point_in(c.grid_index, c.rng)
                if c.source == "supervisor":
                    c.reporter = self.beat_supervisor[self.index.beat_of_grid[c.grid_code]]
                elif c.source.startswith("hotline"):
                    c.reporter = self._staff(self.hotline_agents, c)
            else:
                c.duplicate = False
        photos = (
            [self.before, self.after]
            if c.self_handled
            else [self.before]
            if c.source != "public" or c.rng.random() < 0.7
            else []
        )
        kwargs: dict[str, Any] = {}
        if c.source == "hotline_12345":
            kwargs["external_number"] = f"12345-{self._local(at):%Y%m%d}{c.rng.randrange(10_000):04d}"
        if c.source in CALLBACK_SOURCES:
            kwargs["reporter_name"] = (
                f"{c.rng.choice('王李张刘陈杨赵黄周吴')}先生"
                if c.rng.random() < 0.5
                else f"{c.rng.choice('王李张刘陈杨赵黄周吴')}女士"
            )
            kwargs["reporter_phone"] = f"1390000{c.rng.randrange(10_000):04d}"
            kwargs["anonymous"] = c.rng.random() < 0.1
        result = case_report(
            actor=c.reporter,
            source=c.source,
            lon=c.lon,
            lat=c.lat,
            description=self._description(c),
            category_code=c.category if c.category_at_report else None,
            urgency=c.urgency,
            handling_type=c.handling_type,
            photos=photos,
            self_handled=c.self_handled,
            **kwargs,
        )
        case = result.case
        c.case_id, c.number, c.status = case.pk, case.number, case.status
        c.department_id = case.suggested_department_id
        self.result.cases += 1
        self.recent.append(c)
        unit, _ = self._step_limit(
            self.categories[c.category], "handle", handling_type=c.handling_type, urgency=c.urgency
        )
        c.round_the_clock = unit == "clock_hours"
        if c.self_handled:
            return self._centre(at + self._delay(c, 90), c), "close"
        if c.duplicate:
            return self._centre(at + self._delay(c, 20), c), "merge"
        if c.source in CALLBACK_SOURCES:
            if c.cancel_direct:
                return self._centre(at + self._delay(c, 20), c), "cancel"
            return self._centre(at + self._delay(c, 15), c), "send_verification"
        if c.cancel:
            return self._centre(at + self._delay(c, 25), c), "cancel"
        return self._centre(at + self._delay(c, 15), c), "open"

    def _do_merge(self, c: _SimCase, at: datetime):
        target = c.merge_target
        if target is None or target.case_id is None or target.status not in _MERGE_TARGET_STATES:
            c.duplicate = False  # the earlier report is finished: treat this one on its own
            return at, ("send_verification" if c.source in CALLBACK_SOURCES else "open")
        self._act(
            c,
            "merge",
            self._staff(self.receivers, c),
            {"target_id": target.case_id},
            note="重复上报，合并处理",
        )
        return None

    def _do_send_verification(self, c: _SimCase, at: datetime):
        self._act(c, "send_verification", self._staff(self.receivers, c))
        return self._in_window(at + self._delay(c, 40), DUTY_HOURS, c.rng), "verify"

    def _do_verify(self, c: _SimCase, at: datetime):
        genuine = not c.cancel
        self._act(c, "verify", self._field_actor(c), {"genuine": genuine})
        return self._centre(at + self._delay(c, 15), c), ("open" if genuine else "cancel")

    def _do_cancel(self, c: _SimCase, at: datetime):
        self._act(c, "cancel", self._staff(self.receivers, c), {"reason": c.rng.choice(CANCEL_REASONS)})
        return None

    def _do_open(self, c: _SimCase, at: datetime):
        data = {} if c.category_at_report else {"category_code": c.category}
        case = self._act(c, "open", self._staff(self.receivers, c), data)
        c.department_id = case.suggested_department_id or self._fallback_department(c.grid_code)
        if c.wrong_dispatch:
            c.wrong_department_id = self._other_department(c)
        return self._centre(at + self._delay(c, 20), c), "dispatch"

    def _fallback_department(self, grid_code: str) -> int | None:
        order = {"street": 0, "community": 1, "professional": 2, "contractor": 3}
        covering = [d for d in self.departments if area_covers(d.area_code, grid_code)]
        if not covering:
            return None
        return min(covering, key=lambda d: (order.get(d.kind, 9), -len(d.area_code), d.code)).pk

    def _other_department(self, c: _SimCase) -> int | None:
        # A wrong unit is still one that covers the place: dispatch refuses any other (outside_area).
        others = [
            d for d in self.departments if d.pk != c.department_id and area_covers(d.area_code, c.grid_code)
        ]
        return c.rng.choice(others).pk if others else None

    def _do_dispatch(self, c: _SimCase, at: datetime):
        wrong = c.wrong_dispatch and not c.returned and c.wrong_department_id is not None
        department = c.wrong_department_id if wrong else c.department_id
        case = self._act(
            c,
            "dispatch",
            self._staff(self.dispatchers, c),
            {"department_id": department} if department else {},
        )
        c.department_id = case.owner_department_id if not wrong else c.department_id
        c.clock_start, c.due_at = at, case.handle_due_at
        if wrong:
            return self._unit(at + self._delay(c, 60), c), "request_return"
        return self._unit(at + self._delay(c, 25), c), "accept"

    def _unit_actor(self, c: _SimCase, case_department: int | None, manager: bool = False) -> User | None:
        table = self.unit_manager if manager else self.unit_handler
        return table.get(case_department) if case_department else None

    def _current_department(self, c: _SimCase) -> int | None:
        return c.wrong_department_id if c.wrong_dispatch and not c.returned else c.department_id

    def _do_request_return(self, c: _SimCase, at: datetime):
        actor = self._unit_actor(c, self._current_department(c), manager=True)
        self._act(c, "request_return", actor, {"reason": c.rng.choice(RETURN_REASONS)})
        decision = "reject_return" if c.reject_return else "approve_return"
        return self._centre(at + self._delay(c, 60), c), decision

    def _do_approve_return(self, c: _SimCase, at: datetime):
        self._act(c, "approve_return", self._staff(self.shift_leaders, c), {"note": "同意回退，改派"})
        c.returned = True
        c.clock_start = c.due_at = None
        return self._centre(at + self._delay(c, 20), c), "dispatch"

    def _do_reject_return(self, c: _SimCase, at: datetime):
        self._act(
            c, "reject_return", self._staff(self.shift_leaders, c), {"note": "属本单位职责，请按期处置"}
        )
        c.returned = True
        c.department_id = c.wrong_department_id
        return self._next_unit_step(c, at)

    def _do_accept(self, c: _SimCase, at: datetime):
        self._act(c, "accept", self._unit_actor(c, c.department_id))
        return self._next_unit_step(c, at)

    def _next_unit_step(self, c: _SimCase, at: datetime):
        if c.defer and not c.deferred:
            return self._centre(at + self._delay(c, 120), c), "defer"
        if c.park and not c.parked:
            return self._unit(at + self._delay(c, 180), c), "request_park"
        if c.extension and not c.extended:
            start = c.clock_start or at
            limit = self._limit_effort(c, start, c.due_at)
            return self._work_after(c, at, limit * c.rng.uniform(0.4, 0.8)), "request_extension"
        return self._finish(c, at), "feedback"

    def _do_request_extension(self, c: _SimCase, at: datetime):
        limit = self._limit_effort(c, c.clock_start or at, c.due_at)
        if limit <= timedelta(hours=8):
            data = {"unit": "working_hours", "amount": c.rng.choice([4, 8])}
        else:
            data = {"unit": "working_days", "amount": c.rng.choice([2, 3, 5])}
        data["reason"] = c.rng.choice(EXTENSION_REASONS)
        self._act(c, "request_extension", self._unit_actor(c, c.department_id, manager=True), data)
        decision = "reject_extension" if c.reject_extension else "approve_extension"
        return self._centre(at + self._delay(c, 90), c), decision

    def _do_approve_extension(self, c: _SimCase, at: datetime):
        case = self._act(c, "approve_extension", self._staff(self.shift_leaders, c))
        c.extended = True
        c.due_at = case.handle_due_at
        c.clock_start = at
        return self._finish(c, at, share=0.55), "feedback"

    def _do_reject_extension(self, c: _SimCase, at: datetime):
        self._act(
            c, "reject_extension", self._staff(self.shift_leaders, c), {"note": "理由不充分，请按期处置"}
        )
        c.extended = True
        return self._finish(c, at), "feedback"

    def _do_request_park(self, c: _SimCase, at: datetime):
        self._act(
            c,
            "request_park",
            self._unit_actor(c, c.department_id, manager=True),
            {"reason": c.rng.choice(PARK_REASONS)},
        )
        decision = "reject_park" if c.reject_park else "approve_park"
        return self._centre(at + self._delay(c, 600, 0.5), c), decision

    def _do_approve_park(self, c: _SimCase, at: datetime):
        self._act(c, "approve_park", self._staff(self.shift_leaders, c), {"note": "同意挂账"})
        c.parked = True
        if c.stay_parked or c.hold == "parked":
            return None
        return self._centre(at + timedelta(days=c.rng.uniform(5, 20)), c), "resume"

    def _do_reject_park(self, c: _SimCase, at: datetime):
        self._act(c, "reject_park", self._staff(self.shift_leaders, c), {"note": "不符合挂账条件"})
        c.parked = True
        return self._finish(c, at), "feedback"

    def _do_defer(self, c: _SimCase, at: datetime):
        self._act(c, "defer", self._staff(self.shift_leaders, c), {"reason": c.rng.choice(DEFER_REASONS)})
        c.deferred = True
        if c.hold == "deferred":
            return None
        return self._centre(at + timedelta(days=c.rng.uniform(1, 5)), c), "resume"

    def _do_resume(self, c: _SimCase, at: datetime):
        case = self._act(c, "resume", self._staff(self.shift_leaders, c), {"note": "恢复处置"})
        if case.status == "opened":
            return self._centre(at + self._delay(c, 20), c), "dispatch"
        c.clock_start, c.due_at = at, case.handle_due_at
        return self._finish(c, at), "feedback"

    def _do_feedback(self, c: _SimCase, at: datetime):
        self._act(
            c,
            "feedback",
            self._unit_actor(c, c.department_id),
            {"note": "已按要求处置完毕"},
            photos=[self.after],
        )
        return self._centre(at + self._delay(c, 20), c), "send_check"

    def _do_send_check(self, c: _SimCase, at: datetime):
        self._act(c, "send_check", self._staff(self.receivers, c))
        return self._in_window(at + self._delay(c, 45), DUTY_HOURS, c.rng), "check"

    def _do_check(self, c: _SimCase, at: datetime):
        passed = not (c.rework and not c.reworked)
        case = self._act(
            c,
            "check",
            self._field_actor(c),
            {"passed": passed, "note": "" if passed else "现场仍有问题，处置不到位"},
        )
        if passed:
            return self._centre(at + self._delay(c, 30), c), "close"
        c.reworked = True
        c.clock_start, c.due_at = at, case.handle_due_at
        return self._finish(c, at, share=0.35), "feedback"

    def _do_close(self, c: _SimCase, at: datetime):
        self._act(c, "close", self._staff(self.shift_leaders, c))
        if c.source in CALLBACK_SOURCES and c.status == "closed":
            return self._in_window(at + self._delay(c, 240), CALLBACK_HOURS, c.rng), "callback"
        return None

    def _do_callback(self, c: _SimCase, at: datetime):
        satisfied = not (c.unsatisfied and not c.called_back_unsatisfied)
        score = c.rng.choice([4, 5, 5]) if satisfied else c.rng.choice([1, 2])
        case = self._act(
            c, "callback", self._staff(self.hotline_agents, c), {"satisfied": satisfied, "score": score}
        )
        if satisfied:
            return None
        c.called_back_unsatisfied = True
        if case.status == "opened":
            return self._centre(at + self._delay(c, 20), c), "dispatch"
        c.clock_start, c.due_at = at, case.handle_due_at
        return self._finish(c, at, share=0.35), "feedback"


_MERGE_TARGET_STATES = frozenset(
    {
        "reported",
        "verifying",
        "verified",
        "opened",
        "dispatched",
        "handling",
        "extension_requested",
        "return_requested",
        "park_requested",
        "feedback",
        "checking",
    }
)
