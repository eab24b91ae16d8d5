"""Emergency management tables (应急管理), one module per sub-domain: hazard sources, hidden dangers,
shelters, supplies, plans and drills, incidents with warnings and response levels, lifeline status.
Tables only; rules live in `grading.py`, `workflow.py`, `services/` and `selectors.py`. Every model is
imported here: Django finds an app's models through this package."""

from ._common import RiskColour
from .dangers import HiddenDanger, HiddenDangerEvent
from .hazards import HazardInspection, HazardSource, HazardSubstance
from .incidents import EmergencyWarning, Incident, IncidentEvent, IncidentTask, ResponseActivation
from .lifelines import LifelineStatus
from .plans import Drill, EmergencyPlan, PlanRevision
from .shelters import Shelter
from .supplies import StockLot, StockMinimum, StockMovement, SupplyItem, Warehouse

__all__ = [
    "Drill",
    "EmergencyPlan",
    "EmergencyWarning",
    "HazardInspection",
    "HazardSource",
    "HazardSubstance",
    "HiddenDanger",
    "HiddenDangerEvent",
    "Incident",
    "IncidentEvent",
    "IncidentTask",
    "LifelineStatus",
    "PlanRevision",
    "ResponseActivation",
    "RiskColour",
    "Shelter",
    "StockLot",
    "StockMinimum",
    "StockMovement",
    "SupplyItem",
    "Warehouse",
]
