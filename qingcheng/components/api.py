"""JSON API of the components (部件) inventory: classes, lists with filters and paging, map features,
detail by code, create, update and state changes. Thin: selectors read, services write."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qingcheng.accounts.models import Department
from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import SaneDate
from qingcheng.core.pagination import PageNumberPagination

from . import selectors, services
from .codes import STATE_ZH
from .models import Component

router = Router(tags=["components"])


class ComponentClassOut(Schema):
    code: str
    name: str
    parent_code: str | None
    verified: bool
    default_accuracy: str
    note: str

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class ComponentOut(Schema):
    code: str
    class_code: str
    class_name: str
    name: str
    grid_code: str
    lon: float
    lat: float
    state: str
    state_zh: str
    accuracy: str
    competent_department_id: int | None
    competent_department_name: str | None
    owner_unit: str
    maintenance_department_id: int | None
    maintenance_department_name: str | None
    first_recorded: dt.date | None
    changed_on: dt.date | None
    data_source: str
    photo: str
    note: str
    synthetic: bool

    @staticmethod
    def resolve_class_code(obj) -> str:
        return obj.component_class.code

    @staticmethod
    def resolve_class_name(obj) -> str:
        return obj.component_class.name

    @staticmethod
    def resolve_state_zh(obj) -> str:
        return STATE_ZH.get(obj.state, obj.state)

    @staticmethod
    def resolve_competent_department_name(obj) -> str | None:
        return obj.competent_department.name if obj.competent_department_id else None

    @staticmethod
    def resolve_maintenance_department_name(obj) -> str | None:
        return obj.maintenance_department.name if obj.maintenance_department_id else None


class MapFilters(Schema):
    class_code: str | None = Field(None, description="Class code prefix: major '01' or minor '0101'")
    state: str | None = Field(None, description="intact/damaged/lost/abandoned or 完好/破损/丢失/废弃")
    area: str | None = Field(None, description="Area or grid code prefix, e.g. 150105 or 150105001001")
    q: str | None = Field(None, description="Digits: code prefix; otherwise part of the name")

    def as_kwargs(self) -> dict[str, Any]:
        return {"class_code": self.class_code, "state": self.state, "area_code": self.area, "q": self.q}


class ComponentFilters(MapFilters):
    bbox: str | None = Field(None, description="min_lon,min_lat,max_lon,max_lat (WGS-84)")

    def as_kwargs(self) -> dict[str, Any]:
        return {**super().as_kwargs(), "bbox": selectors.parse_bbox(self.bbox)}


class ComponentIn(Schema):
    class_code: str = Field(..., description="4-digit minor class, e.g. 0101 上水井盖")
    lon: float
    lat: float
    code: str | None = Field(None, description="16-digit code; omitted = next serial in the county and class")
    name: str = Field("", max_length=100)
    state: str = "intact"
    accuracy: str | None = Field(None, description="A/B/C; omitted = the class default")
    competent_department_id: int | None = None
    owner_unit: str = Field("", max_length=100)
    maintenance_department_id: int | None = None
    first_recorded: SaneDate | None = None
    data_source: str = Field("", max_length=40)
    photo: str = Field("", max_length=200)
    note: str = Field("", max_length=200)


class ComponentPatch(Schema):
    name: str | None = Field(None, max_length=100)
    lon: float | None = None
    lat: float | None = None
    accuracy: str | None = None
    competent_department_id: int | None = None
    owner_unit: str | None = Field(None, max_length=100)
    maintenance_department_id: int | None = None
    first_recorded: SaneDate | None = None
    changed_on: SaneDate | None = None
    data_source: str | None = Field(None, max_length=40)
    photo: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=200)


class StateIn(Schema):
    state: str = Field(..., description="intact/damaged/lost/abandoned or 完好/破损/丢失/废弃")
    note: str = Field("", max_length=200)


def _department(pk: int | None, field: str) -> Department | None:
    # Departments are named by id; a city-level unit may look after a district's components, so the
    # actor's scope does not limit which unit may be named, only that it exists and is active.
    if pk is None:
        return None
    department = Department.objects.filter(pk=pk, is_active=True).first()
    if department is None:
        raise ValidationFailed("单位不存在", "department not found", field=field, code="unknown_department")
    return department


def _with_departments(data: dict[str, Any]) -> dict[str, Any]:
    for name in ("competent_department", "maintenance_department"):
        key = f"{name}_id"
        if key in data:
            data[name] = _department(data.pop(key), key)
    return data


@router.get("/classes", response=list[ComponentClassOut], summary="Component classes (部件大类/小类)")
def list_classes(request: HttpRequest, major: str | None = None, verified: bool | None = None):
    return list(selectors.class_list(major=major, verified=verified))


@router.get("/geojson", summary="Components in a bounding box as GeoJSON (map layer, at most 5000)")
def components_geojson(request: HttpRequest, bbox: str, filters: Query[MapFilters]) -> dict[str, Any]:
    box = selectors.parse_bbox(bbox)
    if box is None:
        raise ValidationFailed("缺少 bbox", "bbox is required", field="bbox", code="invalid_bbox")
    return selectors.component_features(actor=request.user, bbox=box, **filters.as_kwargs())


@router.get("/", response=list[ComponentOut], summary="Components in my area, with filters")
@paginate(PageNumberPagination)
def list_components(request: HttpRequest, filters: Query[ComponentFilters]):
    return selectors.component_list(actor=request.user, **filters.as_kwargs())


@router.post("/", response={201: ComponentOut}, summary="Register a component at a point")
def create_component(request: HttpRequest, payload: ComponentIn):
    data = _with_departments(payload.model_dump())
    component = services.component_create(actor=request.user, **data)
    return Status(201, selectors.component_get(actor=request.user, code=component.code))


@router.get("/{code}", response=ComponentOut, summary="One component by its 16-digit code")
def get_component(request: HttpRequest, code: str):
    return selectors.component_get(actor=request.user, code=code)


@router.patch("/{code}", response=ComponentOut, summary="Change a component's fields or position")
def patch_component(request: HttpRequest, code: str, payload: ComponentPatch):
    component = selectors.component_get(actor=request.user, code=code)
    changes = _with_departments(payload.model_dump(exclude_unset=True))
    services.component_update(actor=request.user, component=component, changes=changes)
    return selectors.component_get(actor=request.user, code=code)


@router.post("/{code}/state", response=ComponentOut, summary="Set the state (完好/破损/丢失/废弃)")
def set_state(request: HttpRequest, code: str, payload: StateIn):
    component: Component = selectors.component_get(actor=request.user, code=code)
    services.component_set_state(
        actor=request.user, component=component, state=payload.state, note=payload.note
    )
    return selectors.component_get(actor=request.user, code=code)
