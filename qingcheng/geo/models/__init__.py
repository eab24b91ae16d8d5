"""Tables of the geography domain."""

from .areas import AdminArea
from .gazetteer import Place, Road
from .grids import GridRevision, Responsibility, SupervisionBeat, UnitGrid

__all__ = ["AdminArea", "GridRevision", "Place", "Responsibility", "Road", "SupervisionBeat", "UnitGrid"]
