from qingcheng.cases.tests.conftest import catalogue, loop  # noqa: F401  (the case-loop fixtures)
