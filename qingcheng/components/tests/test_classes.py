"""The standard class table (GB/T 30428.2) loaded by migration 0002."""

from qingcheng.components.classes import load_component_classes, read_class_rows
from qingcheng.components.models import ComponentClass


def test_majors_and_verified_minors(db):
    majors = dict(ComponentClass.objects.filter(parent__isnull=True).values_list("code", "name"))
    assert majors["01"] == "公用设施" and majors["02"] == "道路交通" and majors["03"] == "市容环境"
    assert majors["04"] == "园林绿化" and majors["05"] == "房屋土地" and majors["06"] == "其他设施"
    for code, name in (("0101", "上水井盖"), ("0102", "污水井盖")):
        klass = ComponentClass.objects.get(code=code)
        assert klass.name == name and klass.verified and klass.parent.code == "01"
        assert klass.default_accuracy == "A"


def test_unverified_rows_are_flagged_with_the_alternative(db):
    relay = ComponentClass.objects.get(code="0117")
    assert not relay.verified and "立杆" in relay.note
    assert not ComponentClass.objects.get(code="0110").verified
    other = ComponentClass.objects.get(code="06")
    assert not other.verified and "扩展部件类" in other.note


def test_every_minor_sits_under_its_major_and_has_an_accuracy(db):
    for klass in ComponentClass.objects.filter(parent__isnull=False):
        assert klass.code[:2] == klass.parent.code
        assert klass.default_accuracy in {"A", "B", "C"}
    assert ComponentClass.objects.get(code="0201").default_accuracy == "C"  # 停车场
    assert ComponentClass.objects.get(code="0305").default_accuracy == "B"  # 垃圾箱


def test_loader_is_idempotent(db):
    counts = load_component_classes()
    assert counts == {"created": 0, "updated": 0, "unchanged": len(read_class_rows())}
    ComponentClass.objects.filter(code="0101").update(name="改错的名字")
    assert load_component_classes()["updated"] == 1
    assert ComponentClass.objects.get(code="0101").name == "上水井盖"
