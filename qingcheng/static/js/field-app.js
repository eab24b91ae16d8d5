// 城管通 field app: tasks, new reports with camera, GPS and subclass, the beat map, and an outbox of
// reports made offline. Every report gets an Idempotency-Key when it is made, so sending it again after a
// lost answer never makes a second case.
(function () {
  "use strict";
  const app = document.getElementById("field-app");
  const T = JSON.parse(document.getElementById("field-messages").textContent);
  const SUBCLASSES = JSON.parse(document.getElementById("subclasses").textContent);
  const CENTER = [40.842, 111.749]; // Hohhot, 新华广场
  const csrf = () => app.dataset.csrf;

  // ------------------------------------------------------------------ small helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const { el, text } = window.Qingcheng; // nodes and labels from data as text, never HTML (js/qingcheng.js)
  let toastTimer = null;
  function toast(text, kind = "success") {
    const box = $("#toast");
    box.className = `alert alert-${kind} shadow mb-0`;
    box.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => box.classList.add("d-none"), 6000);
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function errorText(body, fallback) {
    return (body && body.error && (body.error.message || body.error.code)) || fallback;
  }
  function formatTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return d.toLocaleString(document.documentElement.lang.startsWith("en") ? "en-GB" : "zh-CN",
      { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  // ------------------------------------------------------------------ tabs and network state
  const maps = {};
  function show(tab) {
    document.querySelectorAll("[data-tab]").forEach((s) => { s.hidden = s.dataset.tab !== tab; });
    document.querySelectorAll("[data-go]").forEach((b) => b.classList.toggle("active", b.dataset.go === tab));
    if (tab === "map") beatMap();
    if (tab === "report") reportMap();
    if (tab === "outbox") renderOutbox();
    Object.values(maps).forEach((m) => m.invalidateSize());
  }
  document.querySelectorAll("[data-go]").forEach((b) => b.addEventListener("click", () => show(b.dataset.go)));
  function netState() {
    const s = $("#net-state");
    s.textContent = navigator.onLine ? s.dataset.online : s.dataset.offline;
  }
  window.addEventListener("online", () => { netState(); flush(); loadTasks(); });
  window.addEventListener("offline", netState);
  netState();

  // ------------------------------------------------------------------ the outbox (IndexedDB)
  function db() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("qingcheng-field", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("outbox", { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function store(mode, work) {
    const handle = await db();
    return new Promise((resolve, reject) => {
      const tx = handle.transaction("outbox", mode);
      const result = work(tx.objectStore("outbox"));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const outboxAll = () => store("readonly", (s) => s.getAll());
  const outboxPut = (record) => store("readwrite", (s) => s.put(record));
  const outboxDelete = (key) => store("readwrite", (s) => s.delete(key));

  async function renderOutbox() {
    const records = (await outboxAll()).sort((a, b) => a.created - b.created);
    const badge = $("#outbox-count");
    badge.textContent = records.length;
    badge.classList.toggle("d-none", records.length === 0);
    const list = $("#outbox-list");
    list.replaceChildren();
    if (!records.length) list.append(el("p", { class: "text-muted", id: "outbox-empty" }, T.outbox_empty));
    for (const r of records) {
      list.append(el("div", { class: "card mb-2", "data-outbox": r.key },
        el("div", { class: "card-body py-2" },
          el("div", { class: "fw-semibold" }, `${r.fields.category_code} · ${r.fields.description.slice(0, 40)}`),
          el("div", { class: "small text-muted" }, `${formatTime(new Date(r.created).toISOString())} · ${r.photos.length} ${T.photos}`),
          r.error ? el("div", { class: "small text-danger" }, r.error) : "",
          el("button", { class: "btn btn-sm btn-outline-danger mt-1", type: "button",
            onclick: async () => { if (confirm(T.confirm_delete)) { await outboxDelete(r.key); renderOutbox(); } } }, T.delete))));
    }
  }

  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      const records = (await outboxAll()).sort((a, b) => a.created - b.created);
      for (const r of records) {
        if (r.error) continue; // refused by the server: the supervisor fixes or deletes it
        const body = new FormData();
        for (const [k, v] of Object.entries(r.fields)) body.append(k, v);
        for (const p of r.photos) body.append(p.field || "photos", p.blob, p.name);
        let response;
        try {
          response = await fetch("/api/intake/supervisor/reports", {
            method: "POST", body, credentials: "same-origin",
            headers: { "Idempotency-Key": r.key, "X-CSRFToken": csrf(), Accept: "application/json" },
          });
        } catch (e) {
          break; // no network: keep everything for later
        }
        const data = await response.json().catch(() => ({}));
        if (response.ok) {
          await outboxDelete(r.key);
          toast(`${T.sent} ${data.number}`);
        } else if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 429) {
          r.error = errorText(data, `HTTP ${response.status}`);
          await outboxPut(r);
          toast(r.error, "danger");
        } else {
          break; // the server is busy or the session expired: try again later
        }
      }
    } finally {
      flushing = false;
      renderOutbox();
    }
  }
  $("#outbox-send").addEventListener("click", flush);
  setInterval(flush, 30000);

  // ------------------------------------------------------------------ new report
  const form = $("#report-form");
  let reportMarker = null;
  function setPosition(lat, lon, how) {
    $("#r-lat").value = lat.toFixed(7);
    $("#r-lon").value = lon.toFixed(7);
    $("#r-position").textContent = `${how}: ${lon.toFixed(6)}, ${lat.toFixed(6)}`;
    if (maps.report) {
      if (!reportMarker) reportMarker = L.marker([lat, lon]).addTo(maps.report);
      reportMarker.setLatLng([lat, lon]);
      maps.report.setView([lat, lon], Math.max(maps.report.getZoom(), 17));
    }
  }
  function gps() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      (p) => setPosition(p.coords.latitude, p.coords.longitude, `GPS ±${Math.round(p.coords.accuracy)} m`),
      () => { $("#r-position").textContent = T.gps_failed; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }
  $("#r-gps").addEventListener("click", gps);
  function reportMap() {
    if (maps.report) return;
    maps.report = L.map("report-map", { attributionControl: false }).setView(CENTER, 14);
    let gridLayer = null;
    maps.report.on("moveend", async () => {
      if (maps.report.getZoom() < 16) return; // grids are 100 m cells: only worth drawing close in
      const layer = await drawGrids(maps.report);
      if (gridLayer) gridLayer.remove();
      gridLayer = layer;
    });
    maps.report.on("click", (e) => setPosition(e.latlng.lat, e.latlng.lng, T.tapped));
    if ($("#r-lat").value) setPosition(parseFloat($("#r-lat").value), parseFloat($("#r-lon").value), "GPS");
    else gps();
  }
  $("#r-position").textContent = $("#r-position").dataset.none;

  const picker = $("#r-category");
  function fillPicker(filter) {
    const wanted = (filter || "").trim().toLowerCase();
    picker.replaceChildren(el("option", { value: "" }, T.choose_subclass));
    const groups = new Map();
    for (const c of SUBCLASSES) {
      if (wanted && !`${c.code} ${c.name} ${c.parent}`.toLowerCase().includes(wanted)) continue;
      if (!groups.has(c.parent)) groups.set(c.parent, el("optgroup", { label: c.parent }));
      groups.get(c.parent).append(el("option", { value: c.code }, `${c.code} ${c.name}`));
    }
    for (const g of groups.values()) picker.append(g);
    if (wanted && picker.options.length === 2) picker.selectedIndex = 1;
  }
  fillPicker("");
  const selfHandled = $("#r-self");
  selfHandled.addEventListener("change", () => { $("#r-after-box").hidden = !selfHandled.checked; });
  $("#r-category-filter").addEventListener("input", (e) => fillPicker(e.target.value));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#report-error");
    const files = Array.from($("#r-photos").files);
    const problems = [];
    if (!files.length) problems.push(T.need_photo);
    if (!$("#r-lat").value) problems.push(T.need_position);
    if (!picker.value) problems.push(T.need_subclass);
    if (!$("#r-description").value.trim()) problems.push(T.need_description);
    const after = Array.from($("#r-after").files);
    if (selfHandled.checked && !after.length) problems.push(T.need_after_photo);
    if (problems.length) {
      error.textContent = problems.join(" ");
      error.classList.remove("d-none");
      return;
    }
    error.classList.add("d-none");
    const record = {
      key: newKey(),
      created: Date.now(),
      fields: {
        lon: $("#r-lon").value, lat: $("#r-lat").value, crs: "wgs84",
        category_code: picker.value,
        description: $("#r-description").value.trim(),
        address: $("#r-address").value.trim(),
        urgency: $("#r-urgent").checked ? "urgent" : "normal",
        self_handled: selfHandled.checked ? "true" : "false",
      },
      photos: files.map((f) => ({ name: f.name, type: f.type, blob: f, field: "photos" }))
        .concat(selfHandled.checked ? after.map((f) => ({ name: f.name, type: f.type, blob: f, field: "after_photos" })) : []),
    };
    await outboxPut(record); // saved on the phone before anything is sent
    form.reset();
    $("#r-after-box").hidden = true;
    fillPicker("");
    if (reportMarker) { reportMarker.remove(); reportMarker = null; }
    $("#r-position").textContent = $("#r-position").dataset.none;
    $("#r-lat").value = ""; $("#r-lon").value = "";
    if (!navigator.onLine) toast(T.queued, "warning");
    await flush();
    const left = (await outboxAll()).some((r) => r.key === record.key && !r.error);
    if (left) toast(T.queued, "warning");
  });

  // ------------------------------------------------------------------ tasks
  async function loadTasks() {
    const box = $("#tasks");
    let tasks;
    try {
      const response = await fetch("/api/intake/supervisor/tasks", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      tasks = await response.json();
    } catch (e) {
      if (!box.dataset.loaded) box.replaceChildren(el("p", { class: "text-muted" }, T.tasks_offline));
      return;
    }
    box.dataset.loaded = "1";
    const badge = $("#task-count");
    badge.textContent = tasks.length;
    badge.classList.toggle("d-none", tasks.length === 0);
    box.replaceChildren();
    if (!tasks.length) box.append(el("p", { class: "text-muted", id: "no-tasks" }, T.no_tasks));
    for (const t of tasks) box.append(taskCard(t));
    if (maps.beat) drawTaskMarkers(tasks);
    lastTasks = tasks;
  }
  let lastTasks = [];

  function taskCard(t) {
    const verify = t.kind === "verify";
    const note = el("textarea", { class: "form-control form-control-sm mb-2", rows: "2", placeholder: T.note, name: "note" });
    const photos = el("input", { class: "form-control form-control-sm mb-2", type: "file", accept: "image/jpeg,image/png", capture: "environment", multiple: "", name: "photos" });
    const send = async (result, button) => {
      const body = new FormData();
      body.append("result", result ? "true" : "false");
      body.append("note", note.value);
      for (const f of photos.files) body.append("photos", f, f.name);
      button.disabled = true;
      try {
        const response = await fetch(`/api/intake/supervisor/tasks/${t.id}/result`, {
          method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
        });
        const data = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(errorText(data, `HTTP ${response.status}`));
        toast(`${data.case_number} · ${data.case_status_label}`);
        loadTasks();
      } catch (e) {
        toast(e.message === "Failed to fetch" ? T.task_offline : e.message, "danger");
        button.disabled = false;
      }
    };
    const yes = el("button", { class: "btn btn-success flex-fill", type: "button", "data-result": "yes" }, verify ? T.genuine : T.fixed);
    const no = el("button", { class: "btn btn-outline-danger flex-fill", type: "button", "data-result": "no" }, verify ? T.not_genuine : T.not_fixed);
    yes.addEventListener("click", () => send(true, yes));
    no.addEventListener("click", () => send(false, no));
    return el("div", { class: `card task-card mb-2${t.overdue ? " border-danger" : ""}`, "data-task": t.id, "data-case": t.case.number },
      el("div", { class: "card-body py-2" },
        el("div", { class: "d-flex justify-content-between" },
          el("span", { class: `badge ${verify ? "text-bg-info" : "text-bg-success"}` }, t.kind_label),
          el("span", { class: `small ${t.overdue ? "text-danger fw-bold" : "text-muted"}` }, `${T.due} ${formatTime(t.due_at)}`)),
        el("div", { class: "fw-semibold mt-1" }, `${t.case.number} · ${t.case.category_name || ""}`),
        el("div", { class: "small" }, t.case.description),
        el("div", { class: "small text-muted mb-2" }, t.case.address || t.case.grid_code),
        note, photos,
        el("div", { class: "d-flex gap-2" }, yes, no)));
  }

  // ------------------------------------------------------------------ maps
  async function drawGrids(map, box) {
    const b = map.getBounds();
    const bbox = box || [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    if (!(bbox[2] > bbox[0] && bbox[3] > bbox[1])) return null; // a hidden map has no extent yet
    try {
      const response = await fetch(`/api/geo/grids?bbox=${bbox.join(",")}`, { credentials: "same-origin" });
      if (!response.ok) return null;
      const mine = new Set((app.dataset.beatGrids || "").split(",").filter(Boolean));
      return L.geoJSON(await response.json(), {
        style: (f) => (mine.has(f.properties.code)
          ? { color: "#0d6efd", weight: 1.5, fillColor: "#74c0fc", fillOpacity: 0.3 }
          : { color: "#8a8a8a", weight: 0.5, fillColor: "#dee2e6", fillOpacity: 0.1 }),
        onEachFeature: (f, layer) => layer.bindTooltip(() => text(f.properties.code)),
      }).addTo(map);
    } catch (e) {
      return null;
    }
  }
  let taskLayer = null;
  function drawTaskMarkers(tasks) {
    if (taskLayer) taskLayer.remove();
    taskLayer = L.layerGroup(tasks.map((t) => L.circleMarker([t.case.lat, t.case.lon],
      { radius: 8, color: t.kind === "verify" ? "#0dcaf0" : "#198754", weight: 3, fillOpacity: 0.8 })
      .bindTooltip(() => text(`${t.kind_label} ${t.case.number}`)))).addTo(maps.beat);
  }
  function beatMap() {
    if (maps.beat) return;
    maps.beat = L.map("beat-map", { attributionControl: false }).setView(CENTER, 13);
    const box = (app.dataset.beatBox || "").split(",").filter(Boolean).map(Number);
    if (box.length === 4) {
      maps.beat.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [10, 10] });
      const pad = 0.002;
      drawGrids(maps.beat, [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad]);
    }
    drawTaskMarkers(lastTasks);
  }

  // ------------------------------------------------------------------ start
  loadTasks();
  setInterval(loadTasks, 60000);
  renderOutbox().then(flush);
  if ("serviceWorker" in navigator && app.dataset.sw) {
    navigator.serviceWorker.register(app.dataset.sw, { scope: "/m/" }).catch(() => {});
  }
})();
