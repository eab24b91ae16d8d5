"""Writes of emergency management (应急管理): one function per business action, keyword-only, atomic, with
the permission and scope check (`core.access`) and the audit entry inside. Workflow actions consult
`workflow.py`; their effects are the handler dictionaries of the module of their table
(`dangers.DANGER_EFFECTS`, `incidents.INCIDENT_EFFECTS`).

One module per sub-domain: `hazards` (危险源), `dangers` (隐患 and the overdue sweep), `shelters` (避难场所),
`supplies` (物资), `plans` (预案与演练), `incidents` (突发事件, response and tasks), `warnings` (预警),
`lifelines` (生命线); `_common` holds what they share. The names are re-exported here so that
`from qingcheng.emergency import services` keeps working for pages, the API and the loaders.
"""

from .dangers import DANGER_EFFECTS, hidden_danger_act, hidden_danger_overdue_sweep, hidden_danger_report
from .hazards import hazard_source_inspect, hazard_source_register, hazard_source_regrade
from .incidents import (
    INCIDENT_EFFECTS,
    incident_act,
    incident_report,
    incident_task_assign,
    incident_task_done,
)
from .lifelines import lifeline_set
from .plans import drill_record, plan_create, plan_revise
from .shelters import shelter_create, shelter_update
from .supplies import (
    stock_receive,
    stock_set_minimum,
    supplies_dispatch,
    supply_item_create,
    warehouse_create,
)
from .warnings import warning_issue, warning_lift

__all__ = [
    "DANGER_EFFECTS",
    "INCIDENT_EFFECTS",
    "drill_record",
    "hazard_source_inspect",
    "hazard_source_register",
    "hazard_source_regrade",
    "hidden_danger_act",
    "hidden_danger_overdue_sweep",
    "hidden_danger_report",
    "incident_act",
    "incident_report",
    "incident_task_assign",
    "incident_task_done",
    "lifeline_set",
    "plan_create",
    "plan_revise",
    "shelter_create",
    "shelter_update",
    "stock_receive",
    "stock_set_minimum",
    "supplies_dispatch",
    "supply_item_create",
    "warehouse_create",
    "warning_issue",
    "warning_lift",
]
