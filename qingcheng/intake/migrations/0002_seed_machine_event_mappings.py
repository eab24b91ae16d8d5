"""Seed vendor event codes of the demo video-analytics and sensor systems (a bureau edits them in the admin)."""

from django.db import migrations

# vendor, event code, source, name, subclass, urgency
MAPPINGS = [
    ("demo-video", "garbage_exposed", "video", "暴露垃圾", "E0102", "normal"),
    ("demo-video", "debris_pile", "video", "积存垃圾渣土", "E0103", "normal"),
    ("demo-video", "small_ads", "video", "非法小广告", "E0201", "normal"),
    ("demo-video", "street_vending", "video", "无照经营游商", "E0501", "normal"),
    ("demo-video", "shop_outside", "video", "店外经营", "E0504", "normal"),
    ("demo-video", "illegal_parking", "video", "机动车乱停放", "E0505", "normal"),
    ("demo-video", "bike_parking", "video", "非机动车乱停放", "E0506", "normal"),
    ("demo-video", "material_pile", "video", "乱堆物堆料", "E0507", "normal"),
    ("demo-video", "outdoor_bbq", "video", "露天烧烤", "E0510", "normal"),
    ("demo-video", "road_collapse", "video", "路面塌陷", "E0401", "urgent"),
    ("demo-sensor", "manhole_missing", "sensor", "上水井盖丢失", "C0101", "urgent"),
    ("demo-sensor", "manhole_tilt", "sensor", "污水井盖倾斜", "C0102", "normal"),
    ("demo-sensor", "rain_manhole_open", "sensor", "雨水井盖位移", "C0103", "urgent"),
    ("demo-sensor", "bin_full", "sensor", "垃圾箱满溢", "C0305", "normal"),
    ("demo-sensor", "water_pipe_burst", "sensor", "供水管道破裂", "E0402", "urgent"),
    ("demo-sensor", "gas_leak", "sensor", "燃气泄漏", "E0403", "urgent"),
    ("demo-sensor", "drain_blocked", "sensor", "下水道堵塞", "E0404", "normal"),
    ("demo-sensor", "site_dust", "sensor", "工地扬尘超标", "E0302", "normal"),
    ("demo-sensor", "site_noise", "sensor", "施工噪声超标", "E0301", "normal"),
]


def seed(apps, schema_editor):
    Mapping = apps.get_model("intake", "MachineEventMapping")
    for vendor, code, source, name, category, urgency in MAPPINGS:
        Mapping.objects.update_or_create(
            vendor=vendor,
            event_code=code,
            defaults={"source": source, "name": name, "category_code": category, "urgency": urgency},
        )


def unseed(apps, schema_editor):
    Mapping = apps.get_model("intake", "MachineEventMapping")
    for vendor, code, *_ in MAPPINGS:
        Mapping.objects.filter(vendor=vendor, event_code=code, events__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
