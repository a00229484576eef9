// The ciapi mock dashboard: polls the admin plane (/_mock/...) and drives it. Plain JS, no dependencies.
"use strict";

const POLL_MS = 1000;
const MAX_ROWS = 300;
const $ = (selector) => document.querySelector(selector);
const previous = new Map(); // "collection/id" -> state last shown, to flash changes
let busy = false;
let again = false; // a refresh was asked for while one was running

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error((data && data.error) || `${method} ${path}: ${response.status}`);
  return data;
}

function say(message, isError) {
  const status = $("#status");
  status.textContent = message;
  status.classList.toggle("error", Boolean(isError));
}

async function act(work) {
  try {
    await work();
    say("");
  } catch (error) {
    say(error.message, true);
  }
  await refresh();
}

// --- clock -----------------------------------------------------------------------------------------
function showClock(clock) {
  $("#clock-now").textContent = clock.now;
  $("#clock-now").dateTime = clock.now;
  const running = clock.kind === "real";
  const speed = clock.speed || 1;
  $("#clock-mode").textContent = running ? `running ×${speed}` : "paused (manual)";
  $("#clock-mode").className = "badge " + (running ? "running" : "paused");
  $("#clock-panel").dataset.kind = clock.kind;
}

// --- state -----------------------------------------------------------------------------------------
function showState(body) {
  const box = $("#collections");
  const filter = $("#state-filter").value.trim().toLowerCase();
  for (const [name, items] of Object.entries(body.collections)) {
    let section = box.querySelector(`details[data-collection="${CSS.escape(name)}"]`);
    if (!section) {
      section = el("details", { open: true, "data-collection": name },
        el("summary", {}, el("strong", {}, name), " ", el("span", { class: "count" }), " ", el("span", { class: "chips" })),
        el("table", { class: "items" }, el("tbody")));
      box.append(section);
    }
    const counts = {};
    for (const item of items) counts[item.state] = (counts[item.state] || 0) + 1;
    section.querySelector(".count").textContent = `(${items.length})`;
    section.querySelector(".chips").replaceChildren(...Object.entries(counts).map(
      ([state, n]) => el("span", { class: `chip state-${String(state)}` }, `${state} ${n}`)));
    const shown = items.filter((item) => !filter || [item.id, item.name, item.state].some(
      (value) => value !== null && value !== undefined && String(value).toLowerCase().includes(filter)));
    const rows = shown.slice(0, MAX_ROWS).map((item) => {
      const key = `${name}/${item.id}`;
      const changed = previous.has(key) && previous.get(key) !== String(item.state);
      previous.set(key, String(item.state));
      return el("tr", { "data-id": item.id, class: changed ? "changed" : null },
        el("td", { class: "name" }, item.name === null || item.name === undefined ? "" : String(item.name)),
        el("td", { class: "id", title: String(item.id) }, item.id),
        el("td", { class: `state state-${String(item.state)}` }, String(item.state)));
    });
    if (shown.length > MAX_ROWS) {
      rows.push(el("tr", {}, el("td", { colSpan: 3, class: "hint" }, `… ${shown.length - MAX_ROWS} more: filter to narrow`)));
    }
    section.querySelector("tbody").replaceChildren(...rows);
  }
  $("#views").replaceChildren(...(body.views.length ? ["More views: "] : []),
    ...body.views.map((view) => el("a", { href: `views/${encodeURIComponent(view)}` }, view, " ")));
}

// --- journal ---------------------------------------------------------------------------------------
function faultLabel(fault) {
  switch (fault.kind) {
    case "latency": return `latency ${fault.ms} ms`;
    case "error": return `error ${fault.status}`;
    case "rate_limit": return `429 rate limit`;
    case "reset": return "connection reset";
    case "truncate": return "truncated body";
    default: return fault.kind;
  }
}

function verdict(entry) {
  if (entry.valid === true) return el("td", { class: "verdict ok" }, "✓ valid");
  if (entry.valid === false) {
    return el("td", { class: "verdict bad", title: entry.violations.join("\n") }, `✗ ${entry.violations.length} violation(s)`);
  }
  return el("td", { class: "verdict none", title: "an injected fault is not checked against the spec" }, "– fault");
}

function showJournal(body) {
  $("#journal-total").textContent = `${body.total} of at most ${body.capacity} kept`;
  const rows = body.requests.map((entry) => {
    const faults = entry.faults || [];
    const injected = faults.filter((f) => f.kind === "latency").reduce((sum, f) => sum + f.ms, 0);
    const total = entry.duration_ms + injected;
    const family = entry.status === null ? "reset" : `s${String(entry.status)[0]}xx`;
    return el("tr", { "data-id": entry.id, class: faults.length ? "faulted" : null },
      el("td", { class: "time", title: entry.time }, entry.time.slice(11, 23)),
      el("td", { class: "method" }, entry.method),
      el("td", { class: "path", title: entry.path + (entry.query ? `?${entry.query}` : "") },
        entry.path, entry.query ? el("span", { class: "query" }, `?${entry.query}`) : null),
      el("td", { class: "operation" }, entry.operation_id || "–"),
      el("td", { class: `status ${family}` }, entry.status === null ? "reset" : entry.status),
      verdict(entry),
      el("td", { class: "ms", title: injected ? `mock ${entry.duration_ms} ms + injected ${injected} ms` : null },
        total.toFixed(1)),
      el("td", { class: "faults" }, ...faults.map((f) => el("span", { class: `badge fault-${f.kind}` }, faultLabel(f)))));
  });
  $("#journal tbody").replaceChildren(...rows);
}

// --- faults ----------------------------------------------------------------------------------------
function showFaults(body) {
  const select = $("#fault-operation");
  if (select.options.length === 1) {
    for (const operation of body.operations) select.append(el("option", { value: operation }, operation));
  }
  $("#fault-seed").textContent = body.seed;
  $("#fault-draws").textContent = body.draws;
  $("#fault-list").replaceChildren(...body.faults.map((rule) => el("li", { "data-id": rule.id },
    el("code", {}, rule.spec), " ",
    el("button", { type: "button", class: "small", title: "remove", onclick: () => act(() => call("DELETE", `faults/${rule.id}`)) }, "✕"))));
  if (!body.faults.length) $("#fault-list").append(el("li", { class: "hint" }, "none: every request is answered normally"));
}

function ruleFromForm() {
  const kind = $("#fault-kind").value;
  const number = (id) => ($(id).value === "" ? null : Number($(id).value));
  const rule = { kind, operation: $("#fault-operation").value || null, probability: number("#fault-p") ?? 1,
    times: number("#fault-times") };
  if (kind === "latency") {
    const low = number("#fault-ms") ?? 0;
    const high = number("#fault-ms-max");
    rule.latency_ms = high === null ? low : [low, high];
  } else if (kind === "error") {
    rule.status = number("#fault-status") ?? 503;
  } else if (kind === "rate_limit") {
    rule.retry_after = number("#fault-retry") ?? 1;
  }
  return rule;
}

function showKindFields() {
  const kind = $("#fault-kind").value;
  for (const label of document.querySelectorAll("#fault-form [data-kind]")) label.hidden = label.dataset.kind !== kind;
}

// --- polling ---------------------------------------------------------------------------------------
async function refresh() {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  again = false;
  try {
    const live = $("#live").checked;
    const [state, faults, journal] = await Promise.all([
      call("GET", "state"), call("GET", "faults"), live ? call("GET", "requests?limit=100") : null]);
    showClock(state.clock);
    showState(state);
    showFaults(faults);
    if (journal) showJournal(journal);
    document.body.dataset.ready = "true";
  } catch (error) {
    say(`cannot reach the mock: ${error.message}`, true);
  } finally {
    busy = false;
  }
  if (again) await refresh();
}

function wire() {
  $("#advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => call("POST", "clock", { advance: Number($("#advance-seconds").value) }));
  });
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => act(() => call("POST", "clock", { advance: Number(button.dataset.advance) })));
  }
  $("#pause").addEventListener("click", () => act(() => call("POST", "clock", { mode: "manual" })));
  $("#mode-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => call("POST", "clock", { mode: "real", speed: Number($("#speed").value) }));
  });
  $("#reset").addEventListener("click", () => act(() => call("POST", "reset")));
  $("#journal-clear").addEventListener("click", () => act(() => call("DELETE", "requests")));
  $("#faults-clear").addEventListener("click", () => act(() => call("DELETE", "faults")));
  $("#fault-kind").addEventListener("change", showKindFields);
  $("#fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => call("POST", "faults", ruleFromForm()));
  });
  $("#state-filter").addEventListener("input", refresh);
  showKindFields();
}

async function start() {
  wire();
  try {
    const docs = await call("GET", "docs/index.json");
    $("#api-title").textContent = `${docs.api} mock`;
    $("#api-title").title = docs.title;
    document.title = `${docs.api} · ciapi mock dashboard`;
  } catch (error) {
    say(error.message, true);
  }
  await refresh();
  setInterval(refresh, POLL_MS);
}

start();
