// session-core run browser: hand-written, no dependencies, no build step.
// Every value from a record reaches the page through textContent or setAttribute on a
// known-safe attribute, never through innerHTML: a record is data from anyone who could write
// the store. The server's Content-Security-Policy forbids inline script as a second guard.
"use strict";

const COLUMNS = [
  { key: "id", label: "Session", mono: true },
  { key: "status", label: "Status" },
  { key: "started_at", label: "Started (UTC)" },
  { key: "duration_s", label: "Duration" },
  { key: "branch", label: "Branch" },
  { key: "commit_sha", label: "Commit", mono: true, sortable: false },
  { key: "command", label: "Command", mono: true },
];
const FILTERS = ["status", "branch", "command", "param", "since", "until"];
const PAGE_SIZE = 50;
const LIVE_EVERY_MS = 5000;
const SVG = "http://www.w3.org/2000/svg";

const state = {
  route: "runs",
  query: new URLSearchParams(),
  pages: [],          // the "after"/"offset" parameters that opened each page seen so far
  next: null,
  selected: new Set(),
  rows: [],
  liveTimer: null,
};

// ---------------------------------------------------------------- small DOM helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function $(id) { return document.getElementById(id); }

function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function when(iso) { return iso ? String(iso).slice(0, 19).replace("T", " ") : ""; }

function seconds(value) {
  if (typeof value !== "number") return "";
  if (value < 60) return value.toFixed(2) + " s";
  const m = Math.floor(value / 60), s = Math.round(value % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function statusBadge(status) {
  const known = ["completed", "failed", "running", "interrupted", "lost"].includes(status);
  return el("span", { class: "status status-" + (known ? status : "unknown") }, text(status) || "?");
}

function sessionLink(id) {
  return el("a", { href: "#/session/" + encodeURIComponent(id) }, id);
}

async function api(path, params) {
  const url = "/api/" + path + (params && String(params) ? "?" + params : "");
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) {
    const error = body.error || {};
    throw new Error((error.field ? error.field + ": " : "") + (error.message || response.statusText));
  }
  return body;
}

function showError(id, error) {
  const node = $(id);
  node.textContent = error ? String(error.message || error) : "";
  node.hidden = !error;
}

// ---------------------------------------------------------------- routing

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, search] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "runs", args: parts.slice(1), query: new URLSearchParams(search || "") };
}

function show(view) {
  for (const name of ["runs", "session", "compare", "plots"]) $("view-" + name).hidden = name !== view;
  $("nav-runs").classList.toggle("active", view === "runs");
  $("nav-plots").classList.toggle("active", view === "plots");
}

async function route() {
  const { name, args, query } = parseHash();
  stopLive();
  if (name === "session" && args[0]) { show("session"); return renderSession(args[0]); }
  if (name === "compare" && args.length) { show("compare"); return renderCompare(args); }
  if (name === "plots") { show("plots"); return renderPlots(query); }
  show("runs");
  state.query = query;
  state.pages = [];
  fillFilterForm(query);
  return loadRuns(null);
}

// ---------------------------------------------------------------- runs table

function fillFilterForm(query) {
  const form = $("filters");
  for (const name of FILTERS) form.elements[name].value = query.get(name) || "";
}

function filtersFromForm() {
  const form = $("filters");
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  const sort = state.query.get("sort");
  if (sort) query.set("sort", sort);
  return query;
}

function sortKey() { return state.query.get("sort") || "-id"; }

function renderHead() {
  const head = $("runs-head");
  head.replaceChildren(el("th", {}, ""));
  const current = sortKey();
  for (const column of COLUMNS) {
    const sortable = column.sortable !== false;
    const th = el("th", { class: sortable ? "sortable" : null, "data-key": column.key }, column.label);
    if (current === column.key) th.classList.add("sorted-asc");
    if (current === "-" + column.key) th.classList.add("sorted-desc");
    if (sortable) th.addEventListener("click", () => {
      const query = new URLSearchParams(state.query);
      query.set("sort", current === "-" + column.key ? column.key : "-" + column.key);
      location.hash = "#/runs?" + query;
    });
    head.append(th);
  }
}

function renderRow(row) {
  const box = el("input", { type: "checkbox", "aria-label": "select " + row.id, "data-id": row.id });
  box.checked = state.selected.has(row.id);
  box.addEventListener("change", () => {
    if (box.checked) state.selected.add(row.id); else state.selected.delete(row.id);
    updateCompareButton();
  });
  const sha = row.commit_sha ? String(row.commit_sha).slice(0, 8) + (row.dirty ? "*" : "") : "";
  return el("tr", { "data-id": row.id },
    el("td", {}, box),
    el("td", { class: "mono nowrap" }, sessionLink(row.id)),
    el("td", {}, statusBadge(row.status)),
    el("td", { class: "nowrap" }, when(row.started_at)),
    el("td", { class: "nowrap" }, seconds(row.duration_s)),
    el("td", { class: "nowrap" }, text(row.branch)),
    el("td", { class: "mono" }, sha),
    el("td", { class: "mono command", title: text(row.command) }, text(row.command)),
  );
}

function updateCompareButton() {
  const count = state.selected.size;
  const button = $("compare-selected");
  button.disabled = count < 2 || count > 4;
  button.textContent = `Compare selected (${count})`;
}

async function loadRuns(pageParams, quiet) {
  const params = new URLSearchParams(state.query);
  params.set("limit", String(PAGE_SIZE));
  for (const [key, value] of Object.entries(pageParams || {})) params.set(key, value);
  renderHead();
  try {
    const body = await api("sessions", params);
    showError("runs-error", null);
    state.rows = body.sessions;
    state.next = body.next;
    $("runs-body").replaceChildren(...body.sessions.map(renderRow));
    const first = state.pages.length * PAGE_SIZE + 1;
    $("runs-summary").textContent = body.sessions.length
      ? `runs ${first}-${first + body.sessions.length - 1}${body.next ? "" : " (end)"}`
      : "no runs match";
  } catch (error) {
    if (!quiet) $("runs-body").replaceChildren();
    showError("runs-error", error);
  }
  $("page-prev").disabled = state.pages.length === 0;
  $("page-next").disabled = !state.next;
  updateCompareButton();
  scheduleLive();
}

function currentPageParams() { return state.pages.length ? state.pages[state.pages.length - 1] : null; }

// Live refresh: the first page is reloaded while it shows a running session.
function scheduleLive() {
  stopLive();
  const live = $("live").checked && state.rows.some((row) => row.status === "running");
  if (live && parseHash().name === "runs") {
    state.liveTimer = setTimeout(() => loadRuns(currentPageParams(), true), LIVE_EVERY_MS);
  }
}

function stopLive() {
  if (state.liveTimer !== null) clearTimeout(state.liveTimer);
  state.liveTimer = null;
}

// ---------------------------------------------------------------- one session

function fields(pairs) {
  const list = el("dl", { class: "fields" });
  for (const [name, value] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", {}, name), el("dd", {}, value instanceof Node ? value : text(value)));
  }
  return list;
}

function jsonBlock(value) { return el("pre", { class: "mono" }, JSON.stringify(value, null, 2)); }

const SHOWN_KEYS = new Set([
  "session_id", "status", "started_at", "ended_at", "duration_s", "exit_code", "host", "username",
  "project_path", "package_name", "record_version", "git", "cli", "runtime_params", "env", "exception",
  "heartbeat_at", "heartbeat_s", "stderr_tail",
]);

async function renderSession(id) {
  const view = $("view-session");
  view.replaceChildren(el("p", { class: "muted" }, "loading " + id));
  let record;
  try {
    record = (await api("sessions/" + encodeURIComponent(id))).session;
  } catch (error) {
    view.replaceChildren(el("p", { class: "error" }, String(error.message)), el("a", { href: "#/runs" }, "back to runs"));
    return;
  }
  const git = record.git || {};
  const cli = record.cli || {};
  const parts = [
    el("p", {}, el("a", { href: "#/runs" }, "\u2190 runs")),
    el("h2", { class: "mono", id: "session-title" }, record.session_id || id),
    fields([
      ["status", statusBadge(record.status)],
      ["started", record.started_at], ["ended", record.ended_at],
      ["duration", seconds(record.duration_s)], ["exit code", record.exit_code],
      ["host", record.host], ["user", record.username],
      ["project", record.project_path], ["package", record.package_name],
      ["last heartbeat", record.heartbeat_at],
    ]),
    el("h2", {}, "Git"),
    fields([["branch", git.branch], ["commit", git.commit_sha], ["dirty", git.dirty === undefined ? null : String(git.dirty)]]),
    el("h2", {}, "Command"),
    el("pre", { class: "mono", id: "session-command" }, text(cli.command_path)),
  ];
  if (cli.params && Object.keys(cli.params).length) parts.push(el("h2", {}, "Parameters"), jsonBlock(cli.params));
  if (record.runtime_params && Object.keys(record.runtime_params).length) {
    parts.push(el("h2", {}, "Runtime parameters"), jsonBlock(record.runtime_params));
  }
  if (record.exception) {
    const exc = record.exception;
    const trace = Array.isArray(exc.traceback) ? exc.traceback.join("") : text(exc.traceback);
    parts.push(el("h2", {}, "Exception"),
      el("p", { class: "error", id: "session-exception" }, `${text(exc.type)}: ${text(exc.value)}`));
    if (trace) parts.push(el("pre", { class: "mono" }, trace));
  }
  if (record.stderr_tail) parts.push(el("h2", {}, "Standard error (tail)"), el("pre", { class: "mono" }, text(record.stderr_tail)));
  if (record.env && Object.keys(record.env).length) parts.push(el("h2", {}, "Environment"), jsonBlock(record.env));
  const own = Object.fromEntries(Object.entries(record).filter(([key]) => !SHOWN_KEYS.has(key)));
  if (Object.keys(own).length) parts.push(el("h2", {}, "Your keys"), jsonBlock(own));
  parts.push(el("h2", {}, "Whole record"), jsonBlock(record));
  view.replaceChildren(...parts);
}

// ---------------------------------------------------------------- compare

async function renderCompare(ids) {
  const view = $("view-compare");
  const params = new URLSearchParams();
  for (const id of ids) params.append("id", id);
  let body;
  try {
    body = await api("compare", params);
  } catch (error) {
    view.replaceChildren(el("p", { class: "error" }, String(error.message)), el("a", { href: "#/runs" }, "back to runs"));
    return;
  }
  const onlyDiff = el("input", { type: "checkbox", id: "only-differences" });
  const table = el("table", { class: "compare", id: "compare-table" });
  const head = el("tr", {}, el("th", {}, "key"), ...body.ids.map((id) => el("th", { class: "mono" }, sessionLink(id))));
  table.append(el("thead", {}, head));
  const tbody = el("tbody", {});
  for (const row of body.rows) {
    const cells = row.values.map((value, i) =>
      row.present[i] ? el("td", {}, text(value)) : el("td", { class: "absent" }, "(absent)"));
    tbody.append(el("tr", { class: row.differs ? "differs" : null, "data-key": row.key }, el("td", {}, row.key), ...cells));
  }
  table.append(tbody);
  onlyDiff.addEventListener("change", () => {
    for (const tr of tbody.children) tr.hidden = onlyDiff.checked && !tr.classList.contains("differs");
  });
  const differing = body.rows.filter((row) => row.differs).length;
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/runs" }, "\u2190 runs")),
    el("h2", {}, `Comparing ${body.ids.length} runs: ${differing} of ${body.rows.length} keys differ`),
    el("label", { class: "inline" }, onlyDiff, " only differences"),
    table,
  );
}

// ---------------------------------------------------------------- plots (hand-drawn SVG)

const W = 860, H = 240, PAD = { left: 56, right: 16, top: 12, bottom: 36 };

function frame(id, label) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", id, "aria-label": label });
  root.append(svg("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }));
  root.append(svg("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
  return root;
}

function yTicks(root, max, format) {
  for (let i = 0; i <= 4; i++) {
    const y = H - PAD.bottom - (i / 4) * (H - PAD.top - PAD.bottom);
    root.append(svg("line", { class: "grid", x1: PAD.left, y1: y, x2: W - PAD.right, y2: y }));
    root.append(svg("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end" }, format((max * i) / 4)));
  }
}

function empty(root) {
  root.append(svg("text", { class: "empty", x: W / 2, y: H / 2, "text-anchor": "middle" }, "no data"));
  return root;
}

function durationPlot(points) {
  const root = frame("plot-duration-svg", "duration of each run over time");
  const timed = points.map((p) => ({ ...p, t: Date.parse(p.started_at) })).filter((p) => !Number.isNaN(p.t));
  if (!timed.length) return empty(root);
  const t0 = Math.min(...timed.map((p) => p.t)), t1 = Math.max(...timed.map((p) => p.t));
  const max = Math.max(...timed.map((p) => p.duration_s), 0.001);
  const x = (t) => PAD.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  yTicks(root, max, (v) => v.toFixed(v < 10 ? 1 : 0) + "s");
  root.append(svg("text", { x: PAD.left, y: H - 10 }, when(new Date(t0).toISOString())));
  root.append(svg("text", { x: W - PAD.right, y: H - 10, "text-anchor": "end" }, when(new Date(t1).toISOString())));
  for (const p of timed) {
    const dot = svg("circle", { class: "point-" + (p.status || "unknown"), cx: x(p.t).toFixed(1), cy: y(p.duration_s).toFixed(1), r: 3 });
    dot.append(svg("title", {}, `${p.id}: ${seconds(p.duration_s)} (${p.status})`));
    root.append(dot);
  }
  return root;
}

function barPlot(id, label, items, valueOf, caption, format, max) {
  const root = frame(id, label);
  if (!items.length) return empty(root);
  const top = max || Math.max(...items.map(valueOf), 1);
  yTicks(root, top, format);
  const slot = (W - PAD.left - PAD.right) / items.length;
  const width = Math.max(1, Math.min(40, slot * 0.8));
  items.forEach((item, i) => {
    const h = (valueOf(item) / top) * (H - PAD.top - PAD.bottom);
    const bar = svg("rect", { class: "bar", x: (PAD.left + i * slot + (slot - width) / 2).toFixed(1), y: (H - PAD.bottom - h).toFixed(1), width: width.toFixed(1), height: h.toFixed(1) });
    bar.append(svg("title", {}, caption(item)));
    root.append(bar);
  });
  const labels = [0, items.length - 1];
  for (const i of new Set(labels)) {
    root.append(svg("text", { x: PAD.left + i * slot + slot / 2, y: H - 10, "text-anchor": "middle" }, text(items[i].label)));
  }
  return root;
}

async function renderPlots(query) {
  const form = $("plot-options");
  const group = query.get("group") || "branch";
  form.elements.group.value = group;
  const params = new URLSearchParams(query);
  params.set("group", group);
  let body;
  try {
    body = await api("stats", params);
    showError("plots-error", null);
  } catch (error) {
    showError("plots-error", error);
    return;
  }
  $("plots-summary").textContent = `${body.scanned} runs${body.truncated ? " (the newest; more match)" : ""}`;
  $("plot-durations").replaceChildren(durationPlot(body.durations));
  const days = body.days.map((d) => ({ ...d, label: d.day }));
  $("plot-failures").replaceChildren(barPlot("plot-failures-svg", "failure rate per day", days, (d) => d.failure_rate,
    (d) => `${d.day}: ${d.failed} of ${d.runs} failed`, (v) => Math.round(v * 100) + "%", 1));
  $("groups-title").textContent = "Failure rate per " + group;
  const groups = body.groups.slice(0, 30).map((g) => ({ ...g, label: g.group === null ? "(none)" : g.group }));
  $("plot-groups").replaceChildren(barPlot("plot-groups-svg", "failure rate per " + group, groups, (g) => g.failure_rate,
    (g) => `${g.label}: ${g.failed} of ${g.runs} failed, median ${seconds(g.median_s)}, p95 ${seconds(g.p95_s)}`,
    (v) => Math.round(v * 100) + "%", 1));
}

// ---------------------------------------------------------------- wiring

function start() {
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = "#/runs?" + filtersFromForm();
  });
  $("clear-filters").addEventListener("click", () => { location.hash = "#/runs"; });
  $("page-next").addEventListener("click", () => {
    if (!state.next) return;
    state.pages.push(state.next);
    loadRuns(state.next);
  });
  $("page-prev").addEventListener("click", () => {
    state.pages.pop();
    loadRuns(currentPageParams());
  });
  $("live").addEventListener("change", scheduleLive);
  $("compare-selected").addEventListener("click", () => {
    location.hash = "#/compare/" + [...state.selected].map(encodeURIComponent).join("/");
  });
  $("plot-options").addEventListener("change", () => {
    location.hash = "#/plots?group=" + encodeURIComponent($("plot-options").elements.group.value);
  });
  api("store").then((body) => { $("store-location").textContent = body.location; }).catch(() => {});
  window.addEventListener("hashchange", route);
  route();
}

document.addEventListener("DOMContentLoaded", start);
