// A small density heat layer for Leaflet, drawn on one canvas (no plug-in, no tile server).
// Each point [lat, lon, weight] stamps a blurred disc into an alpha map; the alpha is then coloured
// blue → cyan → green → yellow → red. Redrawn after every move or zoom, hidden during zoom animation.
(function () {
  "use strict";

  function stamp(radius, blur) {
    const size = 2 * (radius + blur);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext("2d");
    const gradient = ctx.createRadialGradient(size / 2, size / 2, 0, size / 2, size / 2, radius + blur);
    gradient.addColorStop(0, "rgba(0,0,0,1)");
    gradient.addColorStop(radius / (radius + blur), "rgba(0,0,0,0.45)");
    gradient.addColorStop(1, "rgba(0,0,0,0)");
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, size, size);
    return canvas;
  }

  function palette() {
    const canvas = document.createElement("canvas");
    canvas.width = 256;
    canvas.height = 1;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const gradient = ctx.createLinearGradient(0, 0, 256, 0);
    gradient.addColorStop(0.15, "#1d4ed8");
    gradient.addColorStop(0.35, "#06b6d4");
    gradient.addColorStop(0.55, "#22c55e");
    gradient.addColorStop(0.75, "#facc15");
    gradient.addColorStop(1.0, "#ef4444");
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, 256, 1);
    return ctx.getImageData(0, 0, 256, 1).data;
  }

  L.HeatLayer = L.Layer.extend({
    options: { radiusMetres: 150, minRadius: 8, maxRadius: 40, maxOpacity: 0.75, pane: "overlayPane" },

    initialize: function (points, options) {
      L.setOptions(this, options);
      this._points = points || [];
    },

    setData: function (points) {
      this._points = points || [];
      if (this._map) this._draw();
      return this;
    },

    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "cc-heat leaflet-zoom-hide");
      this._ctx = this._canvas.getContext("2d", { willReadFrequently: true });
      this._colours = palette();
      map.getPane(this.options.pane).appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._reset, this);
      this._reset();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize viewreset", this._reset, this);
      this._map = null;
    },

    _reset: function () {
      const size = this._map.getSize();
      L.DomUtil.setPosition(this._canvas, this._map.containerPointToLayerPoint([0, 0]));
      this._canvas.width = size.x;
      this._canvas.height = size.y;
      this._draw();
    },

    _radius: function () {
      // Pixels per metre at the map centre.
      const map = this._map;
      const centre = map.getCenter();
      const east = L.latLng(centre.lat, centre.lng + 0.01);
      const metres = map.distance(centre, east);
      const pixels = map.latLngToContainerPoint(east).x - map.latLngToContainerPoint(centre).x;
      const r = (this.options.radiusMetres * pixels) / Math.max(metres, 1);
      return Math.round(Math.min(this.options.maxRadius, Math.max(this.options.minRadius, r)));
    },

    _draw: function () {
      const ctx = this._ctx;
      const width = this._canvas.width;
      const height = this._canvas.height;
      ctx.clearRect(0, 0, width, height);
      this.drawn = 0;
      if (!this._points.length || !width || !height) return;
      const radius = this._radius();
      const blur = Math.round(radius * 0.8);
      const disc = stamp(radius, blur);
      const half = radius + blur;
      let max = 1;
      for (const p of this._points) max = Math.max(max, p[2] || 1);
      for (const p of this._points) {
        const point = this._map.latLngToContainerPoint([p[0], p[1]]);
        if (point.x < -half || point.y < -half || point.x > width + half || point.y > height + half) continue;
        ctx.globalAlpha = Math.min(1, 0.15 + (0.85 * (p[2] || 1)) / max);
        ctx.drawImage(disc, point.x - half, point.y - half);
        this.drawn += 1;
      }
      ctx.globalAlpha = 1;
      const image = ctx.getImageData(0, 0, width, height);
      const pixels = image.data;
      const colours = this._colours;
      const opacity = this.options.maxOpacity;
      for (let i = 3; i < pixels.length; i += 4) {
        const alpha = pixels[i];
        if (!alpha) continue;
        const j = alpha * 4;
        pixels[i - 3] = colours[j];
        pixels[i - 2] = colours[j + 1];
        pixels[i - 1] = colours[j + 2];
        pixels[i] = Math.round(alpha * opacity);
      }
      ctx.putImageData(image, 0, 0);
    },
  });

  L.heatLayer = function (points, options) {
    return new L.HeatLayer(points, options);
  };
})();
