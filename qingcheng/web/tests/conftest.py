from qingcheng.cases.tests.conftest import catalogue, jpeg_bytes, loop  # noqa: F401  (the case-loop fixtures)
