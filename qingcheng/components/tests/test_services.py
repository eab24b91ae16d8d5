"""Creating, changing and setting the state of components: locate, county, scope, audit."""

import pytest

from qingcheng.components import services
from qingcheng.components.models import Component
from qingcheng.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from qingcheng.core.models import AuditEntry
from qingcheng.geo.spatial import OutsideCoverage


def test_create_locates_grid_and_assigns_serials(city, centre):
    lon, lat = centre(1, 0)
    first = services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, name="上水井盖A")
    second = services.component_create(actor=None, class_code="0101", lon=lon, lat=lat)
    other = services.component_create(actor=None, class_code="0305", lon=lon, lat=lat)
    assert first.grid_code == "150105001001002"
    assert first.code == "1501050101000001" and second.code == "1501050101000002"
    assert other.code == "1501050305000001"
    assert first.accuracy == "A" and other.accuracy == "B"  # class defaults
    assert first.first_recorded is not None
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "component.create" and entry.area_code == other.grid_code


def test_outside_coverage_is_400_and_writes_nothing(city):
    before = (Component.objects.count(), AuditEntry.objects.count())
    with pytest.raises(OutsideCoverage) as info:
        services.component_create(actor=None, class_code="0101", lon=112.5, lat=41.5)
    assert info.value.status == 400 and info.value.code == "outside_coverage"
    assert (Component.objects.count(), AuditEntry.objects.count()) == before


def test_given_code_must_match_county_and_class(city, centre):
    lon, lat = centre(0, 0)
    with pytest.raises(ValidationFailed) as info:
        services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, code="1501020101000001")
    assert info.value.code == "county_mismatch"
    with pytest.raises(ValidationFailed) as info:
        services.component_create(actor=None, class_code="0102", lon=lon, lat=lat, code="1501050101000001")
    assert info.value.code == "class_mismatch"
    made = services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, code="1501050101000500")
    assert made.code == "1501050101000500"
    with pytest.raises(Conflict):
        services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, code="1501050101000500")
    # The next free serial continues after the highest one.
    assert services.component_create(actor=None, class_code="0101", lon=lon, lat=lat).code.endswith("000501")
    assert not Component.objects.filter(code="1501020101000001").exists()


def test_unknown_class_and_bad_values_refused(city, centre):
    lon, lat = centre(0, 0)
    with pytest.raises(ValidationFailed) as info:
        services.component_create(actor=None, class_code="01", lon=lon, lat=lat)
    assert info.value.code == "invalid_class_code"
    with pytest.raises(ValidationFailed) as info:
        services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, state="坏")
    assert info.value.code == "invalid_state"
    with pytest.raises(ValidationFailed):
        services.component_create(actor=None, class_code="0101", lon=lon, lat=lat, name="x" * 101)
    assert Component.objects.count() == 0


def test_permission_and_scope_on_create(city, centre, make_user):
    lon, lat = centre(0, 0)
    viewer = make_user(["dispatcher"], area_code="150105")
    with pytest.raises(PermissionDeniedError):
        services.component_create(actor=viewer, class_code="0101", lon=lon, lat=lat)
    other_district_admin = make_user(["admin"], area_code="150102")
    with pytest.raises(PermissionDeniedError):
        services.component_create(actor=other_district_admin, class_code="0101", lon=lon, lat=lat)
    local_admin = make_user(["admin"], area_code="150105001")
    made = services.component_create(actor=local_admin, class_code="0101", lon=lon, lat=lat)
    assert AuditEntry.objects.order_by("-seq").first().actor_id == local_admin.pk
    assert made.grid_code.startswith("150105001")


def test_update_relocates_and_audits(city, centre, make_user):
    lon, lat = centre(0, 0)
    made = services.component_create(actor=None, class_code="0118", lon=lon, lat=lat)
    manager = make_user(["unit_manager"], area_code="150105")
    new_lon, new_lat = centre(3, 2)
    updated = services.component_update(
        actor=manager, component=made, changes={"lon": new_lon, "lat": new_lat, "note": "移位"}
    )
    assert updated.grid_code == "150105002003004" and updated.code == made.code
    assert updated.changed_on is not None
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "component.update" and "150105001001001" in entry.changes
    with pytest.raises(ValidationFailed) as info:
        services.component_update(actor=manager, component=made, changes={"code": "1"})
    assert info.value.code == "read_only_field"
    with pytest.raises(ValidationFailed):
        services.component_update(actor=manager, component=made, changes={"accuracy": "Z"})


def test_out_of_scope_component_is_not_found(city, centre, make_user):
    lon, lat = centre(0, 0)
    made = services.component_create(actor=None, class_code="0118", lon=lon, lat=lat)
    outsider = make_user(["unit_manager"], area_code="150102")
    with pytest.raises(NotFound):
        services.component_set_state(actor=outsider, component=made, state="破损")
    viewer = make_user(["supervisor"], area_code="150105")
    with pytest.raises(PermissionDeniedError):
        services.component_set_state(actor=viewer, component=made, state="破损")
    made.refresh_from_db()
    assert made.state == "intact"


def test_set_state_records_reason(city, centre, make_user):
    lon, lat = centre(2, 1)
    made = services.component_create(actor=None, class_code="0102", lon=lon, lat=lat)
    manager = make_user(["unit_manager"], area_code="150105")
    services.component_set_state(actor=manager, component=made, state="丢失", note="井盖被盗")
    made.refresh_from_db()
    assert made.state == "lost" and made.changed_on is not None
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "component.set_state" and "井盖被盗" in entry.changes
    count = AuditEntry.objects.count()
    services.component_set_state(actor=manager, component=made, state="lost")
    assert AuditEntry.objects.count() == count  # no change, no entry


def test_named_units_must_cover_the_components_place(city, centre, make_department):
    """A city unit (150100) may look after a 赛罕区 component; a 新城区 unit may not, on create or change."""
    lon, lat = centre(1, 0)
    city_unit = make_department("150100", name="呼和浩特市市政设施管理处")
    neighbour = make_department("150102", name="新城区市政设施管理处")
    made = services.component_create(
        actor=None, class_code="0101", lon=lon, lat=lat, competent_department=city_unit
    )
    assert made.competent_department == city_unit
    count = Component.objects.count()
    with pytest.raises(ValidationFailed) as info:
        services.component_create(
            actor=None, class_code="0101", lon=lon, lat=lat, maintenance_department=neighbour
        )
    assert info.value.code == "outside_area" and info.value.details == {"field": "maintenance_department_id"}
    assert Component.objects.count() == count
    with pytest.raises(ValidationFailed) as info:
        services.component_update(actor=None, component=made, changes={"competent_department": neighbour})
    assert info.value.code == "outside_area"
    made.refresh_from_db()
    assert made.competent_department == city_unit
