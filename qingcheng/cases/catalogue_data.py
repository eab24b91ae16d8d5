"""The demo city's case catalogue (事部件立案标准与处置时限), version 2026.

Class codes and names follow the cross-checked rows of GB/T 30428.2-2013 as used by city systems
(shared reference §9.2–9.3); handling limits follow the published tables of 济源 and another city cited
there (§3, §9.4), adapted, and the verify/check limits the 30 minutes seen in a real code base. A bureau
edits these in the admin (a new catalogue version); nothing here is national law.
"""

from __future__ import annotations

# Step limits that apply unless a category says otherwise: (step, unit, amount).
DEFAULT_LIMITS = [
    ("verify", "working_hours", "0.5"),
    ("open", "working_hours", "1"),
    ("dispatch", "working_hours", "1"),
    ("accept", "working_hours", "1"),
    ("check", "working_hours", "0.5"),
]

MAJORS = [
    ("C01", "component", "公用设施"),
    ("C02", "component", "道路交通"),
    ("C03", "component", "市容环境"),
    ("C04", "component", "园林绿化"),
    ("E01", "event", "市容环境"),
    ("E02", "event", "宣传广告"),
    ("E03", "event", "施工管理"),
    ("E04", "event", "突发事件"),
    ("E05", "event", "街面秩序"),
]

# code, name, handle limits [(handling_type, urgency, unit, amount)], opening criteria, closing criteria
SUBCLASSES: list[tuple[str, str, list[tuple[str, str, str, str]], str, str]] = [
    (
        "C0101",
        "上水井盖",
        [("", "", "working_days", "1"), ("", "urgent", "working_hours", "2")],
        "井盖破损、丢失、移位、不平",
        "井盖完好、平稳、无缺失",
    ),
    (
        "C0102",
        "污水井盖",
        [("", "", "working_days", "1"), ("", "urgent", "working_hours", "2")],
        "井盖破损、丢失、移位、不平",
        "井盖完好、平稳、无缺失",
    ),
    (
        "C0103",
        "雨水井盖",
        [("", "", "working_days", "1"), ("", "urgent", "working_hours", "2")],
        "井盖破损、丢失、移位、不平",
        "井盖完好、平稳、无缺失",
    ),
    ("C0104", "雨水箅子", [("", "", "working_days", "1")], "箅子破损、丢失、堵塞", "箅子完好、通畅"),
    (
        "C0105",
        "电力井盖",
        [("", "", "working_days", "1"), ("", "urgent", "working_hours", "2")],
        "井盖破损、丢失",
        "井盖完好",
    ),
    (
        "C0111",
        "燃气井盖",
        [("", "", "working_days", "1"), ("", "urgent", "working_hours", "2")],
        "井盖破损、丢失",
        "井盖完好",
    ),
    (
        "C0118",
        "路灯",
        [("", "", "working_days", "2")],
        "路灯不亮、灯杆倾斜、灯具破损",
        "路灯正常照明、设施完好",
    ),
    ("C0121", "报刊亭", [("", "", "working_days", "3")], "亭体破损、脏污", "亭体完好整洁"),
    ("C0126", "健身设施", [("", "", "working_days", "3")], "器材损坏、存在安全隐患", "器材完好可用"),
    ("C0203", "公交站亭", [("", "", "working_days", "2")], "站亭破损、污损", "站亭完好整洁"),
    ("C0211", "交通护栏", [("", "", "working_days", "2")], "护栏破损、倾斜、缺失", "护栏完好"),
    ("C0213", "路名牌", [("", "", "working_days", "3")], "路名牌破损、缺失、错误", "路名牌完好正确"),
    (
        "C0301",
        "公共厕所",
        [("", "", "working_hours", "4")],
        "设施损坏、不洁、无法使用",
        "设施完好、干净、开放",
    ),
    ("C0305", "垃圾箱", [("", "", "working_hours", "4")], "垃圾箱破损、满溢、缺失", "垃圾箱完好、无满溢"),
    ("C0307", "广告牌匾", [("", "", "working_days", "5")], "牌匾破损、存在坠落隐患", "牌匾完好牢固"),
    (
        "C0402",
        "行道树",
        [("", "", "working_days", "2"), ("", "urgent", "working_hours", "4")],
        "树木倒伏、枯死、枝杈影响通行",
        "树木扶正、补植或修剪到位",
    ),
    ("C0405", "绿地", [("", "", "working_days", "5")], "绿地破损、缺株、裸露", "绿地恢复"),
    (
        "E0101",
        "私搭乱建",
        [
            ("", "", "working_days", "15"),
            ("停工", "", "working_hours", "4"),
            ("处罚", "", "working_days", "7"),
            ("拆除", "", "working_days", "20"),
        ],
        "未经批准在公共区域搭建建（构）筑物",
        "违建停工、拆除或依法处理完毕",
    ),
    ("E0102", "暴露垃圾", [("", "", "working_hours", "4")], "公共区域存在暴露垃圾", "垃圾清理干净"),
    ("E0103", "积存垃圾渣土", [("", "", "working_days", "2")], "公共区域积存垃圾、渣土", "清理干净、无积存"),
    ("E0104", "道路不洁", [("", "", "working_hours", "2")], "道路有明显污物、积水、遗撒", "道路保洁到位"),
    ("E0105", "水域不洁", [("", "", "working_days", "3")], "水面漂浮垃圾、岸边不洁", "水域保洁到位"),
    ("E0106", "绿地脏乱", [("", "", "working_hours", "4")], "绿地内垃圾、杂物", "绿地整洁"),
    ("E0107", "废弃车辆", [("", "", "working_days", "5")], "公共区域长期停放废弃车辆", "车辆移除"),
    ("E0108", "废弃家具设备", [("", "", "working_days", "1")], "公共区域堆放废弃家具设备", "清理完毕"),
    ("E0201", "非法小广告", [("", "", "working_hours", "4")], "张贴、涂写、刻画小广告", "小广告清除干净"),
    (
        "E0202",
        "违章张贴悬挂广告牌匾",
        [("", "", "working_days", "3")],
        "未经批准张贴、悬挂广告",
        "违规广告拆除",
    ),
    ("E0203", "占道广告牌", [("", "", "working_days", "1")], "广告牌占用道路", "广告牌移除"),
    ("E0204", "街头散发广告", [("", "", "working_hours", "2")], "街头散发广告", "散发行为制止、现场清理"),
    (
        "E0301",
        "施工扰民",
        [("", "", "working_hours", "4")],
        "夜间或违规施工产生噪声扰民",
        "施工停止或整改到位",
    ),
    ("E0302", "工地扬尘", [("", "", "working_hours", "4")], "工地未落实扬尘防治措施", "扬尘措施落实"),
    (
        "E0401",
        "路面塌陷",
        [("", "", "working_hours", "4"), ("", "urgent", "clock_hours", "2")],
        "路面塌陷、坑洞",
        "设置警示并修复",
    ),
    (
        "E0402",
        "自来水管破裂",
        [("", "", "working_hours", "4"), ("", "urgent", "clock_hours", "2")],
        "供水管道破裂跑水",
        "管道修复、恢复供水",
    ),
    (
        "E0403",
        "燃气管道破裂",
        [("", "urgent", "clock_hours", "1"), ("", "", "clock_hours", "2")],
        "燃气管道破裂泄漏",
        "险情排除、管道修复",
    ),
    ("E0404", "下水道堵塞或破损", [("", "", "working_days", "1")], "下水道堵塞、冒溢、破损", "疏通修复"),
    ("E0501", "无照经营游商", [("", "", "working_hours", "2")], "流动摊贩无照经营", "劝离或依法处理"),
    ("E0502", "流浪乞讨", [("", "", "working_hours", "2")], "流浪乞讨人员", "劝导或移交救助"),
    ("E0503", "占道废品收购", [("", "", "working_hours", "4")], "占道收购废品", "占道行为消除"),
    ("E0504", "店外经营", [("", "", "working_hours", "2")], "超出门窗外墙经营", "店外经营消除"),
    ("E0505", "机动车乱停放", [("", "", "working_hours", "2")], "机动车违规停放", "车辆驶离或依法处理"),
    ("E0506", "非机动车乱停放", [("", "", "working_hours", "2")], "非机动车乱停乱放", "规范停放"),
    ("E0507", "乱堆物堆料", [("", "", "working_days", "1")], "公共区域乱堆物料", "物料清理"),
    ("E0508", "商业噪音", [("", "", "working_hours", "2")], "商业活动噪声扰民", "噪声消除"),
    ("E0510", "露天烧烤", [("", "", "working_hours", "2")], "占道露天烧烤", "烧烤行为消除"),
]
