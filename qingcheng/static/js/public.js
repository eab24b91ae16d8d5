// Public site maps: the pin for a new report, and recent cases (rounded positions, no personal data).
(function () {
  "use strict";
  const { text } = window.Qingcheng; // labels as text nodes, never HTML (js/qingcheng.js)
  const CENTER = [40.842, 111.749];

  const pin = document.getElementById("pin-map");
  if (pin) {
    const map = L.map(pin, { attributionControl: false }).setView(CENTER, 12);
    districts(map);
    const text = document.getElementById("pin-text");
    let marker = null;
    const place = (lat, lon) => {
      document.getElementById("pin-lat").value = lat.toFixed(7);
      document.getElementById("pin-lon").value = lon.toFixed(7);
      text.textContent = `${text.dataset.chosen}: ${lon.toFixed(5)}, ${lat.toFixed(5)}`;
      if (!marker) marker = L.marker([lat, lon]).addTo(map);
      marker.setLatLng([lat, lon]);
    };
    text.textContent = text.dataset.none;
    if (pin.dataset.lat) { place(parseFloat(pin.dataset.lat), parseFloat(pin.dataset.lon)); map.setView([parseFloat(pin.dataset.lat), parseFloat(pin.dataset.lon)], 16); }
    map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
    document.getElementById("use-location").addEventListener("click", () => {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition((p) => {
        place(p.coords.latitude, p.coords.longitude);
        map.setView([p.coords.latitude, p.coords.longitude], 17);
      }, () => {}, { enableHighAccuracy: true, timeout: 15000 });
    });
    const anonymous = document.getElementById("p-anonymous");
    const contact = document.getElementById("contact-fields");
    const sync = () => { contact.hidden = anonymous.checked; };
    anonymous.addEventListener("change", sync);
    sync();
  }

  const recent = document.getElementById("recent-map");
  if (recent) {
    const map = L.map(recent, { attributionControl: false }).setView(CENTER, 11);
    districts(map);
    fetch(recent.dataset.url).then((r) => r.json()).then((data) => {
      for (const c of data.cases) {
        L.circleMarker([c.lat, c.lon], { radius: 5, weight: 1, color: c.state === "closed" ? "#198754" : "#fd7e14", fillOpacity: 0.7, className: "public-case" })
          .bindTooltip(() => text(`${c.subclass} · ${c.state === "closed" ? recent.dataset.closed : recent.dataset.open} · ${c.day}`))
          .addTo(map);
      }
      document.getElementById("public-map-count").textContent = `(${data.cases.length})`;
    }).catch(() => {});
  }

  function districts(map) {
    fetch("/public/districts.json").then((r) => (r.ok ? r.json() : null)).then((data) => {
      // Outlines only: they must not catch the pointer over the case markers beneath them.
      if (data) L.geoJSON(data, { style: { color: "#2b8a3e", weight: 1.5, fill: false }, interactive: false }).addTo(map);
    }).catch(() => {});
  }
})();
