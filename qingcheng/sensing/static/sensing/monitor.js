/* Sensing monitor: device markers on a plain background (no tile server), refreshed from live.json. */
(function () {
  "use strict";
  var el = document.getElementById("sensing-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { preferCanvas: true }).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 12);
  var layer = L.layerGroup().addTo(map);
  var typeSelect = document.getElementById("sensing-type");
  var fitted = false;
  var colours = { red: "#d32f2f", orange: "#ef6c00", yellow: "#f9a825", blue: "#1565c0" };
  var healthColours = { online: "#2e7d32", stale: "#9e9e9e", never: "#bdbdbd", maintenance: "#6d4c41", retired: "#424242" };

  // The popup is built as nodes: device names, types and reading keys are data, never HTML.
  var h = window.Qingcheng.el;

  function popup(d) {
    var labels = el.dataset;
    var rows = Object.keys(d.values || {}).map(function (k) {
      return h("tr", {}, h("td", {}, k), h("td", {}, String(d.values[k])));
    });
    return h("div", { class: "sensing-popup" },
      h("strong", {}, d.name), " ", h("code", {}, d.id), h("br"), d.type_label,
      d.synthetic ? [" ", h("span", { class: "badge bg-secondary" }, labels.labelSynthetic)] : null,
      h("br"), labels.labelHealth + ": " + (d.health == null ? "" : d.health),
      d.alarm ? [h("br"), labels.labelAlarm + ": ", h("span", { class: "badge sev-" + d.alarm }, d.alarm)] : null,
      h("table", { class: "table table-sm mt-1 mb-0" },
        h("caption", { class: "caption-top p-0" }, labels.labelValues), h("tbody", {}, rows)),
      d.observed_at ? h("div", { class: "small text-muted" }, new Date(d.observed_at).toLocaleString()) : null);
  }

  function setSummary(summary) {
    var box = document.getElementById("sensing-summary");
    if (!box || !summary) { return; }
    var values = { devices: summary.devices, online: summary.health.online, stale: summary.health.stale, never: summary.health.never };
    Object.keys(values).forEach(function (k) {
      var node = box.querySelector("[data-k='" + k + "']");
      if (node) { node.textContent = values[k]; }
    });
    ["red", "orange", "yellow", "blue"].forEach(function (k) {
      var node = box.querySelector("[data-k='" + k + "']");
      if (node) { node.textContent = node.textContent.replace(/\d+$/, String(summary.open_alarms[k] || 0)); }
    });
  }

  function refresh() {
    var url = el.dataset.live + (typeSelect && typeSelect.value ? "?type=" + encodeURIComponent(typeSelect.value) : "");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      layer.clearLayers();
      var bounds = [];
      data.devices.forEach(function (d) {
        var colour = d.alarm ? colours[d.alarm] : healthColours[d.health] || "#2e7d32";
        L.circleMarker([d.lat, d.lon], { radius: d.alarm ? 8 : 5, color: colour, fillColor: colour, fillOpacity: 0.8, weight: 1 })
          .bindPopup(function () { return popup(d); }).addTo(layer);
        bounds.push([d.lat, d.lon]);
      });
      // maxZoom: with one device the bounds are a point, and a map without tiles has no zoom limit.
      if (!fitted && bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); fitted = true; }
      setSummary(data.summary);
      var stamp = document.getElementById("sensing-updated");
      if (stamp) { stamp.textContent = new Date().toLocaleTimeString(); }
    }).catch(function () { /* keep the last picture; try again on the next tick */ });
  }

  if (typeSelect) { typeSelect.addEventListener("change", function () { fitted = false; refresh(); }); }
  refresh();
  setInterval(refresh, 10000);
})();
