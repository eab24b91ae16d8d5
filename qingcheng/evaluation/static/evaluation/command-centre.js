// Command centre: live map (cases by status, overdue highlighted, density heat map), today's counters,
// trends, top subclasses and the unit ranking. Polls the JSON endpoint; never reloads the page.
(function () {
  "use strict";
  const root = document.getElementById("command-centre");
  if (!root) return;
  const cfg = root.dataset;
  // Every text from the data (area names, subclasses, units) becomes a text node (js/qingcheng.js).
  const { el, text, lines } = window.Qingcheng;
  const groups = JSON.parse(document.getElementById("cc-groups").textContent);
  const COLOURS = {
    intake: "#a78bfa", dispatch: "#38bdf8", handling: "#fbbf24",
    on_hold: "#94a3b8", checking: "#34d399", closed: "#22c55e",
  };
  const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "zh-CN");
  const state = { fitted: false, timer: null, busy: false };

  // ---- map: no tiles; district and street boundaries from the geo API, like the grid map ----
  const map = L.map("cc-map", { zoomControl: true, attributionControl: false, zoomSnap: 0.5 })
    .setView([parseFloat(cfg.centerLat), parseFloat(cfg.centerLon)], 11);
  L.control.scale({ imperial: false }).addTo(map);
  const svg = L.svg({ padding: 0.2 });
  const boundaryStyles = {
    district: { color: "#4f7bd9", weight: 2, fill: true, fillColor: "#10224a", fillOpacity: 0.35 },
    street: { color: "#2d4f91", weight: 1, dashArray: "3 3", fill: false },
  };

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status} ${url}`);
    return response.json();
  }

  function areaLayer(level, minZoom, labels) {
    const layer = L.geoJSON(null, {
      style: boundaryStyles[level],
      interactive: false,
      onEachFeature: (feature, l) => {
        if (labels) l.bindTooltip(text(feature.properties.name), { permanent: true, direction: "center", className: "cc-area-label" });
      },
    });
    let loaded = false;
    return async function refresh() {
      const visible = map.getZoom() >= minZoom;
      if (visible && !loaded) {
        loaded = true;
        layer.addData(await getJSON(`/api/geo/areas/features?level=${level}`));
        if (level === "district" && !state.fitted && layer.getLayers().length) {
          state.fitted = true;
          map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        }
      }
      if (visible) { layer.addTo(map); layer.bringToBack(); } else layer.remove();
    };
  }
  const refreshDistricts = areaLayer("district", 0, true);
  const refreshStreets = areaLayer("street", 12.5, false);
  function refreshAreas() {
    refreshDistricts().then(refreshStreets).catch((error) => { note(error.message); });
  }
  map.on("zoomend", refreshAreas);
  refreshAreas();

  const heat = L.heatLayer([], { radiusMetres: 160 }).addTo(map);
  const markers = L.layerGroup().addTo(map);

  const legend = document.getElementById("cc-legend");
  legend.replaceChildren(
    ...Object.keys(COLOURS).map((g) =>
      el("div", {}, el("span", { class: "dot", style: { background: COLOURS[g] } }), groups[g] || g)),
    el("div", {}, el("span", { class: "dot overdue" }), cfg.labelOverdue));

  function note(text) { document.getElementById("cc-map-note").textContent = text || ""; }

  function drawMarkers(rows) {
    markers.clearLayers();
    // Overdue cases last so they are on top.
    const ordered = rows.slice().sort((a, b) => a[3] - b[3]);
    for (const [lat, lon, group, late, number, subclass] of ordered) {
      const marker = L.circleMarker([lat, lon], {
        renderer: svg,
        radius: late ? 7 : 5,
        weight: late ? 3 : 1,
        color: late ? "#ff3b30" : "#0a1428",
        fillColor: COLOURS[group] || "#ffffff",
        fillOpacity: 0.9,
        className: late ? "cc-marker cc-overdue" : "cc-marker",
      });
      marker.bindTooltip(() => lines(`${number} ${subclass}`, `${groups[group] || group}${late ? " · " + cfg.labelOverdue : ""}`));
      markers.addLayer(marker);
    }
    root.dataset.markers = String(rows.length);
  }

  // ---- charts (ECharts, dark theme) ----
  const trendChart = echarts.init(document.getElementById("cc-trend"), "dark", { renderer: "canvas" });
  const subclassChart = echarts.init(document.getElementById("cc-subclasses"), "dark", { renderer: "canvas" });
  const axisLabel = { color: "#9fb3d1" };

  function drawTrend(trend) {
    trendChart.setOption({
      backgroundColor: "transparent",
      // richText: ECharts draws the tooltip itself instead of setting HTML (names are data; the CSP refuses
      // the style attributes of its HTML tooltips).
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 4, textStyle: { color: "#d7e3f4" } },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: trend.days.map((d) => d.slice(5)), axisLabel },
      yAxis: { type: "value", minInterval: 1, axisLabel, splitLine: { lineStyle: { color: "#1e3a6b" } } },
      series: [
        { name: cfg.labelReported, type: "line", smooth: true, data: trend.reported, itemStyle: { color: "#a78bfa" } },
        { name: cfg.labelOpened, type: "line", smooth: true, data: trend.opened, itemStyle: { color: "#38bdf8" } },
        { name: cfg.labelClosed, type: "line", smooth: true, data: trend.closed, itemStyle: { color: "#22c55e" }, areaStyle: { opacity: 0.15 } },
      ],
    });
  }

  function drawSubclasses(rows) {
    const top = rows.slice().reverse();
    subclassChart.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      grid: { left: 110, right: 36, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1, axisLabel, splitLine: { lineStyle: { color: "#1e3a6b" } } },
      yAxis: { type: "category", data: top.map((r) => r.name), axisLabel: { color: "#d7e3f4", width: 100, overflow: "truncate" } },
      series: [{ name: cfg.labelCases, type: "bar", data: top.map((r) => r.n), itemStyle: { color: "#4fd1ff" }, label: { show: true, position: "right", color: "#d7e3f4" } }],
    });
  }

  function drawDepartments(rows) {
    const body = document.querySelector("#cc-departments tbody");
    if (!rows.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "cc-empty" }, cfg.labelNoData)));
      return;
    }
    body.replaceChildren(...rows.map((r) => el("tr", { "data-unit": r.code },
      el("td", {}, String(r.rank)),
      el("td", {}, r.name),
      el("td", { class: "text-end" }, numberFormat.format(r.assigned)),
      el("td", { class: "text-end" }, r.on_time_rate === null ? "–" : r.on_time_rate.toFixed(1) + "%"),
      el("td", { class: "text-end" },
        el("span", { class: `cc-grade cc-grade-${r.grade || ""}` }, r.score === null ? "–" : r.score.toFixed(1))))));
  }

  function drawCounters(counters) {
    for (const el of root.querySelectorAll("[data-counter]")) {
      const value = counters[el.dataset.counter];
      el.textContent = value === undefined ? "–" : numberFormat.format(value);
      el.dataset.value = value === undefined ? "" : String(value);
    }
  }

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    try {
      const data = await getJSON(cfg.url);
      drawCounters(data.counters);
      drawMarkers(data.markers);
      heat.setData(data.heat);
      drawTrend(data.trend);
      drawSubclasses(data.subclasses);
      drawDepartments(data.departments);
      document.getElementById("cc-month").textContent = data.month;
      document.getElementById("cc-updated").textContent = data.now.slice(11, 19);
      note(data.markers_truncated ? cfg.labelTruncated : "");
      root.dataset.refreshed = String((parseInt(root.dataset.refreshed || "0", 10)) + 1);
    } catch (error) {
      note(cfg.labelFailed);
    } finally {
      state.busy = false;
    }
  }

  function tick() {
    const now = new Date();
    // The bureau's wall clock, whatever the zone of the screen's computer.
    document.getElementById("cc-clock").textContent = now.toLocaleString(document.documentElement.lang || "zh-CN", {
      hour12: false,
      timeZone: cfg.timeZone || undefined,
    });
  }

  window.addEventListener("resize", () => map.invalidateSize());
  // The panels change height when the ranking table fills; charts follow their boxes.
  if (window.ResizeObserver) {
    const observer = new ResizeObserver(() => { trendChart.resize(); subclassChart.resize(); });
    observer.observe(document.getElementById("cc-trend"));
    observer.observe(document.getElementById("cc-subclasses"));
  }
  tick();
  setInterval(tick, 1000);
  refresh();
  state.timer = setInterval(refresh, Math.max(5, parseInt(cfg.poll, 10) || 30) * 1000);
  window.qingchengCommandCentre = { refresh, map, heat };
})();
