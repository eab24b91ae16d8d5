// Small case maps: the case's point, its unit grid and nearby possible duplicates, on a plain background
// (no tile server). Maps appear on the case page and in the workbench's detail pane after htmx swaps.
(function () {
  "use strict";
  const { text } = window.Qingcheng; // labels as text nodes, never HTML (js/qingcheng.js)

  async function drawGrids(map, lon, lat, code) {
    const d = 0.004;
    const bbox = [lon - d, lat - d, lon + d, lat + d].join(",");
    const response = await fetch(`/api/geo/grids?bbox=${bbox}`, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    L.geoJSON(data, {
      style: (f) => (f.properties.code === code
        ? { color: "#d9480f", weight: 2, fillColor: "#ffd8a8", fillOpacity: 0.35 }
        : { color: "#8a8a8a", weight: 0.6, fillColor: "#9fc5e8", fillOpacity: 0.12 }),
      onEachFeature: (f, layer) => layer.bindTooltip(() => text(f.properties.code)),
    }).addTo(map).bringToBack();
  }

  function init(el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    const lon = parseFloat(el.dataset.lon), lat = parseFloat(el.dataset.lat);
    const map = L.map(el, { zoomControl: true, attributionControl: false }).setView([lat, lon], 17);
    L.circleMarker([lat, lon], { radius: 8, color: "#c92a2a", weight: 3, fillOpacity: 0.8 })
      .bindTooltip(text(el.dataset.number), { permanent: true, direction: "top" }).addTo(map);
    let duplicates = [];
    try { duplicates = JSON.parse(el.dataset.duplicates || "[]"); } catch (e) { duplicates = []; }
    if (!Array.isArray(duplicates)) duplicates = [];
    for (const d of duplicates) {
      L.circleMarker([d.lat, d.lon], { radius: 6, color: "#1c7ed6", weight: 2, fillOpacity: 0.6 })
        .bindTooltip(() => text(d.number)).addTo(map);
    }
    drawGrids(map, lon, lat, el.dataset.grid).catch(() => {});
  }

  function initAll(root) {
    root.querySelectorAll(".case-map[data-lon]").forEach(init);
  }
  document.addEventListener("DOMContentLoaded", () => initAll(document));
  document.body.addEventListener("htmx:afterSwap", (event) => initAll(event.target));
})();
