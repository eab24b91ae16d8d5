"""The real Hohhot demo city, loaded once for this module (about 15 s)."""

import json

import pytest
from django.core.management import call_command

from qingcheng.geo.models import AdminArea, SupervisionBeat, UnitGrid
from qingcheng.geo.selectors import locate, validate_grid_layer


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker):
    from qingcheng.demo.city import load_demo_city

    with django_db_blocker.unblock():
        counts = load_demo_city()
    yield counts
    with django_db_blocker.unblock():
        from django.core.management import call_command as flush

        flush("flush", "--no-input", verbosity=0)


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_city_is_real_where_it_can_be(demo_city):
    assert demo_city["grids"] >= 20_000
    districts = {a.code: a.name for a in AdminArea.objects.filter(level="district", parent__code="150100")}
    assert {
        "150102": "新城区",
        "150103": "回民区",
        "150104": "玉泉区",
        "150105": "赛罕区",
    }.items() <= districts.items()
    assert AdminArea.objects.filter(level="street", code__startswith="1501").count() == 43
    assert AdminArea.objects.get(code="150105001").name == "人民路街道"
    assert not AdminArea.objects.get(code="150105").synthetic_boundary
    assert AdminArea.objects.filter(level="community", synthetic_name=False).count() == 0
    assert UnitGrid.objects.filter(synthetic=False).count() == 0
    assert AdminArea.objects.filter(level="city").count() == 12  # Inner Mongolia's leagues and cities
    for grid in UnitGrid.objects.all()[:500]:
        assert len(grid.code) == 15 and grid.code.startswith(grid.community.code)
        assert 2_000 < grid.area_m2 < 25_000
    assert SupervisionBeat.objects.filter(supervisors__username="supervisor").exists()
    from qingcheng.components.models import Component

    assert Component.objects.count() >= 100_000
    assert not Component.objects.filter(synthetic=False).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_datum_regression_points_fall_in_their_wgs84_district(demo_city):
    # These two points lie in a different district if the AMap (GCJ-02) boundaries are used unconverted.
    assert locate(111.6413, 40.8511).district_code == "150102"
    assert locate(111.6980, 40.8241).district_code == "150105"


@pytest.mark.slow
@pytest.mark.django_db
def test_locate_command_in_saihan(demo_city, capsys):
    call_command("locate", "111.70", "40.80")
    data = json.loads(capsys.readouterr().out)
    assert data["grid_code"].startswith("150105") and len(data["grid_code"]) == 15
    assert data["district_name"] == "赛罕区"


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_grid_layer_has_no_overlaps_or_gaps(demo_city):
    assert validate_grid_layer(area_code="150103") == []


@pytest.mark.slow
@pytest.mark.django_db
def test_loader_is_idempotent(demo_city):
    from qingcheng.demo.city import load_demo_city

    before = UnitGrid.objects.count()
    again = load_demo_city()
    assert again["grids"] == 0 and UnitGrid.objects.count() == before


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_supervisor_has_open_tasks_after_the_simulation(demo_city, settings, tmp_path, client):
    """After `make run`'s loading (a short simulation here), the demo supervisor's field app lists open
    verification and check tasks of cases in their beats."""
    from datetime import date

    from qingcheng.accounts.models import User
    from qingcheng.demo.simulation import simulate_city
    from qingcheng.intake.selectors import supervisor_tasks

    settings.MEDIA_ROOT = tmp_path
    result = simulate_city(days=3, per_day=30, seed=1, until=date(2026, 11, 20))
    assert result.failures == 0
    supervisor = User.objects.get(username="supervisor")
    tasks = [t for t in supervisor_tasks(actor=supervisor) if t.assignee_id == supervisor.pk]
    assert 3 <= len(tasks) <= 6, [(t.kind, t.case.status) for t in tasks]
    beats = SupervisionBeat.objects.filter(supervisors=supervisor)
    grids = {code for beat in beats for code in beat.grid_codes}
    assert all(t.case.grid_code in grids and t.case.status in {"verifying", "checking"} for t in tasks)
    client.force_login(supervisor)
    listed = client.get("/api/intake/supervisor/tasks").json()
    assert len([row for row in listed if row["assigned_to_me"]]) == len(tasks)
