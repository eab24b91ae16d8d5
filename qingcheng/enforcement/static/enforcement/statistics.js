// Charts of the enforcement statistics page (ECharts, vendored). The numbers are also in the tables.
(function () {
  "use strict";
  var source = document.getElementById("statistics-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  // richText: ECharts draws tooltips itself instead of setting HTML, which the CSP would refuse to style.
  var tooltip = function (trigger) { return { trigger: trigger, renderMode: "richText" }; };
  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var instance = echarts.init(element, null, { renderer: "svg" });
    instance.setOption(option);
    window.addEventListener("resize", function () { instance.resize(); });
  }
  chart("chart-status", {
    title: { text: data.title_status, textStyle: { fontSize: 14 } },
    tooltip: tooltip("item"),
    series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: data.status, label: { fontSize: 11 } }]
  });
  chart("chart-on-time", {
    title: { text: data.title_on_time, textStyle: { fontSize: 14 } },
    tooltip: tooltip("axis"),
    grid: { left: 140, right: 20, top: 40, bottom: 20 },
    xAxis: { type: "value", min: 0, max: 100 },
    yAxis: { type: "category", data: data.on_time.labels, axisLabel: { fontSize: 10, width: 130, overflow: "truncate" } },
    series: [{ type: "bar", data: data.on_time.rates, itemStyle: { color: "#2e7d32" } }]
  });
  chart("chart-money", {
    title: { text: data.title_money, textStyle: { fontSize: 14 } },
    tooltip: tooltip("axis"),
    grid: { left: 70, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.money.labels, axisLabel: { fontSize: 11 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: data.money.values, itemStyle: { color: "#1565c0" } }]
  });
})();
