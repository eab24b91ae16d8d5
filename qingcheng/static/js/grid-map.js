// Grid map: district, street, community and grid layers from the JSON API on a plain background.
(function () {
  "use strict";
  const { el: h, text, lines } = window.Qingcheng; // labels as text nodes, never HTML (js/qingcheng.js)
  const el = document.getElementById("map");
  if (!el) return;
  const msg = el.dataset;
  const status = document.getElementById("map-status");
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 }).setView(
    [parseFloat(msg.centerLat), parseFloat(msg.centerLon)], 11);
  L.control.scale({ imperial: false }).addTo(map);

  const styles = {
    district: { color: "#1f3b73", weight: 2.5, fill: false },
    street: { color: "#3a6fb0", weight: 1.5, dashArray: "4 3", fill: false },
    community: { color: "#6a8fbf", weight: 1, fill: false },
    grid: { color: "#7a7a7a", weight: 0.6, fillColor: "#9fc5e8", fillOpacity: 0.15 },
    highlight: { color: "#d9480f", weight: 3, fillOpacity: 0.25 },
  };

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw body.error || { message: response.statusText };
    return body;
  }

  let fitted = false;
  function areaLayer(level, minZoom, labels) {
    const layer = L.geoJSON(null, {
      style: styles[level],
      onEachFeature: (feature, l) => {
        const name = feature.properties.name;
        if (labels) l.bindTooltip(text(name), { permanent: true, direction: "center", className: "area-label" });
        else l.bindTooltip(() => text(`${name} ${feature.properties.code}`));
      },
    });
    let loaded = false;
    async function refresh() {
      const visible = map.getZoom() >= minZoom;
      if (visible && !loaded) {
        loaded = true;
        layer.addData(await getJSON(`/api/geo/areas/features?level=${level}`));
        if (level === "district" && !fitted && layer.getLayers().length) {
          fitted = true;
          map.fitBounds(layer.getBounds());
        }
      }
      if (visible) layer.addTo(map); else layer.remove();
    }
    return refresh;
  }

  const refreshDistricts = areaLayer("district", 0, true);
  const refreshStreets = areaLayer("street", 12, false);
  const refreshCommunities = areaLayer("community", 14, false);

  const gridLayer = L.geoJSON(null, {
    style: styles.grid,
    onEachFeature: (feature, l) => l.bindTooltip(() => text(feature.properties.code)),
  }).addTo(map);
  let gridRequest = 0;
  async function refreshGrids() {
    const ticket = ++gridRequest;
    if (map.getZoom() < 15) {
      gridLayer.clearLayers();
      status.textContent = msg.msgZoom;
      return;
    }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    const simplify = map.getZoom() < 17 ? 2 : 0;
    const data = await getJSON(`/api/geo/grids?bbox=${bbox}&simplify_m=${simplify}`);
    if (ticket !== gridRequest) return;
    gridLayer.clearLayers();
    gridLayer.addData(data);
    status.textContent = data.truncated ? msg.msgTruncated : `${data.features.length} ${msg.labelGrid}`;
  }

  const componentColours = { intact: "#2b8a3e", damaged: "#e67700", lost: "#c92a2a", abandoned: "#868e96" };
  const componentLayer = L.geoJSON(null, {
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, {
        radius: 4, weight: 1, color: "#fff", fillOpacity: 0.9,
        fillColor: componentColours[feature.properties.state] || "#1c7ed6",
      }),
    onEachFeature: (feature, l) =>
      l.bindTooltip(() => text(`${feature.properties.code} ${feature.properties.class_name || feature.properties.name || ""}`)),
  }).addTo(map);
  let componentRequest = 0;
  async function refreshComponents() {
    const ticket = ++componentRequest;
    if (map.getZoom() < 17) { componentLayer.clearLayers(); return; }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    const data = await getJSON(`/api/components/geojson?bbox=${bbox}`);
    if (ticket !== componentRequest) return;
    componentLayer.clearLayers();
    componentLayer.addData(data);
  }

  let timer = null;
  function refreshAll() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      refreshDistricts(); refreshStreets(); refreshCommunities();
      refreshGrids().catch((e) => { status.textContent = e.message || String(e); });
      refreshComponents().catch(() => componentLayer.clearLayers());
    }, 150);
  }
  map.on("moveend zoomend", refreshAll);
  refreshAll();

  map.on("click", async (event) => {
    try {
      const loc = await getJSON(`/api/geo/locate?lon=${event.latlng.lng}&lat=${event.latlng.lat}`);
      const content = lines(
        [h("strong", {}, msg.labelGrid), " ", loc.grid_code],
        `${msg.labelCommunity}: ${loc.community_name}`,
        `${msg.labelStreet}: ${loc.street_name}`,
        `${msg.labelDistrict}: ${loc.district_name}`,
        loc.snapped ? h("em", {}, `${msg.labelSnapped} (${loc.snap_distance_m} m)`) : [],
      );
      L.popup().setLatLng(event.latlng).setContent(content).openOn(map);
    } catch (error) {
      L.popup().setLatLng(event.latlng).setContent(text(error.message || String(error))).openOn(map);
    }
  });

  const highlight = L.geoJSON(null, { style: styles.highlight }).addTo(map);
  document.getElementById("map-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = document.getElementById("map-search-code").value.trim();
    highlight.clearLayers();
    try {
      let feature;
      if (/^\d{16}$/.test(code)) {
        const c = await getJSON(`/api/components/${code}`);
        feature = { type: "Feature", properties: { code }, geometry: { type: "Point", coordinates: [c.lon, c.lat] } };
      } else if (/^\d{15}$/.test(code)) {
        const g = await getJSON(`/api/geo/grids/${code}`);
        feature = { type: "Feature", properties: { code }, geometry: g.geometry };
      } else {
        feature = await getJSON(`/api/geo/areas/${code}/feature`);
      }
      highlight.addData(feature);
      const bounds = highlight.getBounds();
      if (feature.geometry.type === "Point") map.setView(bounds.getCenter(), 18);
      else map.fitBounds(bounds, { maxZoom: 17 });
      status.textContent = code;
    } catch (error) {
      status.textContent = msg.msgNotFound;
    }
  });
})();
