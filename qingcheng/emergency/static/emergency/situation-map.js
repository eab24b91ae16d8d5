// Situation map: the incident, nearby shelters (with free places), warehouses and hazard sources on a
// plain background (no tile server). Points come from a json_script block rendered by the page.
(function () {
  "use strict";
  var el = document.getElementById("situation-map");
  var data = document.getElementById("map-points");
  if (!el || !data || typeof L === "undefined") return;
  var points = JSON.parse(data.textContent);
  var text = window.Qingcheng.text; // labels as text nodes, never HTML (js/qingcheng.js)
  var map = L.map(el, { attributionControl: false });
  var colours = { incident: "#c62828", shelter: "#2e7d32", warehouse: "#1565c0", hazard: "#6a1b9a" };
  var layer = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: p.kind === "incident" ? 10 : 7,
      color: colours[p.kind] || "#333",
      weight: 2,
      fillOpacity: 0.6,
      className: "situation-point situation-" + p.kind
    });
    marker.bindTooltip(text(p.label + (p.extra ? " · " + p.extra : "")));
    marker.addTo(layer);
  });
  if (points.length) {
    map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 15 });
  } else {
    map.setView([40.83, 111.68], 11);
  }
  // The dispatch form picks warehouse and item together from one list.
  var select = document.querySelector("[data-stock-select]");
  if (select) {
    var sync = function () {
      var parts = (select.value || ":").split(":");
      document.getElementById("d-warehouse").value = parts[0];
      document.getElementById("d-item").value = parts[1];
    };
    select.addEventListener("change", sync);
    sync();
  }
})();
