// Hotline desk: an optional point on the map for the caller's problem (else the address is geocoded).
(function () {
  "use strict";
  const el = document.getElementById("hotline-map");
  if (!el) return;
  const map = L.map(el, { attributionControl: false }).setView([40.842, 111.749], 11);
  fetch("/public/districts.json").then((r) => (r.ok ? r.json() : null)).then((data) => {
    if (data) L.geoJSON(data, { style: { color: "#1f3b73", weight: 1.5, fill: false } }).addTo(map);
  }).catch(() => {});
  const lon = document.getElementById("h-lon"), lat = document.getElementById("h-lat");
  const text = document.getElementById("h-point");
  let marker = null;
  function place(y, x) {
    lat.value = y.toFixed(7); lon.value = x.toFixed(7);
    text.textContent = `${x.toFixed(5)}, ${y.toFixed(5)}`;
    if (!marker) marker = L.marker([y, x]).addTo(map);
    marker.setLatLng([y, x]);
  }
  if (lat.value) place(parseFloat(lat.value), parseFloat(lon.value));
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
})();
