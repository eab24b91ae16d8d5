import pytest


@pytest.fixture
def city(db):
    """The 12-grid synthetic test city in 150105 赛罕区, with a fresh spatial index."""
    from qingcheng.geo import spatial
    from qingcheng.geo.testing import build_test_city

    spatial.invalidate()
    areas = build_test_city()
    yield areas
    spatial.invalidate()


@pytest.fixture
def centre():
    """Centre of test-city cell (col, row); row 0 is the north row."""
    from qingcheng.geo.testing import cell_centre

    return cell_centre
