// CarWatch Edge operator console. Plain JavaScript, no framework, no build step: it calls the daemon's API
// like any client (fetch with the session cookie; live events from /api/events/stream). Text from the API is
// only ever put into the page as text (textContent), never as HTML.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const PAGE_SIZE = 20;
const LIVE_MAX = 50;
const state = { user: null, tab: "live", stream: null, retry: null, cameraTimer: null, offset: 0, total: 0,
  live: new Map() };

// ---- helpers ----------------------------------------------------------------------------------------

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let answer = null;
  try { answer = await response.json(); } catch { answer = null; }
  if (!response.ok) {
    if (response.status === 401 && state.user && !path.startsWith("/auth/login")) showLogin("Please sign in again.");
    throw new ApiError(response.status, (answer && answer.message) || `HTTP ${response.status}`);
  }
  return answer;
}

function say(text, info = false, where = "#message") {
  const node = $(where);
  node.textContent = text || "";
  node.classList.toggle("info", info);
}

const fail = (where) => (error) => say(error.message, false, where);

function when(iso) {
  if (!iso) return "";
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`;  // the API speaks UTC
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

const percent = (value) => (typeof value === "number" ? `${Math.round(value * 100)} %` : "");

function decision(item) {
  if (item.open_barrier) return h("span", { class: "badge open", text: "OPEN" });
  const reason = item.reason || "no decision";
  const tone = reason === "denied" ? "bad" : reason === "allowed" ? "ok" : "warn";
  return h("span", { class: `badge ${tone}`, text: reason.replace("_", " ") });
}

// An event's picture may not be written yet when the event arrives: try again a few times.
function picture(url, className, alt) {
  if (!url) return h("img", { class: className, alt: `no ${alt}`, src: "data:," });
  let tries = 0;
  const image = h("img", { class: className, alt, src: url, loading: "lazy" });
  image.addEventListener("error", () => {
    tries += 1;
    if (tries <= 6) setTimeout(() => { image.src = `${url}?try=${tries}`; }, 700 * tries);
  });
  return image;
}

// Two taps to delete: the first arms the button for a few seconds.
function confirmButton(label, action) {
  const button = h("button", { type: "button", class: "danger", text: label });
  let armed = null;
  button.addEventListener("click", () => {
    if (!armed) {
      button.textContent = "Tap again";
      button.className = "confirm";
      armed = setTimeout(() => { armed = null; button.textContent = label; button.className = "danger"; }, 4000);
      return;
    }
    clearTimeout(armed);
    button.disabled = true;
    action();
  });
  return button;
}

function formValues(form) { return Object.fromEntries(new FormData(form).entries()); }

// ---- sign in and out ----------------------------------------------------------------------------------

function showLogin(message = "") {
  stopLive();
  state.user = null;
  $("#console").hidden = true;
  $("#login").hidden = false;
  say(message, false, "#login-message");
  $("#login-form [name=username]").focus();
}

function showConsole(user) {
  state.user = user;
  $("#login").hidden = true;
  $("#console").hidden = false;
  $("#who").textContent = `${user.username}${user.is_admin ? " (admin)" : ""}`;
  for (const node of document.querySelectorAll("[data-admin]")) node.hidden = !user.is_admin;
  say("");
  startLive();
  showTab(state.tab === "accounts" && !user.is_admin ? "live" : state.tab);
}

async function signIn(username, password) {
  const answer = await api("POST", "/auth/login", { username, password });
  $("#login-form").reset();
  showConsole(answer.data.user);
}

$("#login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { username, password } = formValues(event.target);
  signIn(username, password).catch(fail("#login-message"));
});

$("#first-account").addEventListener("click", async () => {
  const form = $("#login-form");
  if (!form.reportValidity()) return;
  const { username, password } = formValues(form);
  try {
    await api("POST", "/auth/register", { username, password });
    await signIn(username, password);
  } catch (error) { say(error.message, false, "#login-message"); }
});

$("#logout").addEventListener("click", async () => {
  try { await api("POST", "/auth/logout"); } catch { /* signed out either way */ }
  state.live.clear();
  $("#live-events").replaceChildren();
  showLogin("Signed out.");
});

// ---- tabs ---------------------------------------------------------------------------------------------

const loaders = { live: () => {}, cameras: loadCameras, history: loadHistory, lists: loadLists, record: () => {},
  accounts: loadUsers };

function showTab(name) {
  state.tab = name;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const section of document.querySelectorAll("main > .tab")) section.hidden = section.id !== `tab-${name}`;
  clearInterval(state.cameraTimer);
  if (name === "cameras") state.cameraTimer = setInterval(() => loadCameras().catch(() => {}), 3000);
  say("");
  Promise.resolve(loaders[name]()).catch(fail("#message"));
}

$("#tabs").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-tab]");
  if (button) showTab(button.dataset.tab);
});

// ---- live events ------------------------------------------------------------------------------------

function liveState(text, tone) {
  const badge = $("#live-state");
  badge.textContent = text;
  badge.className = `badge ${tone}`;
}

function eventCard(item) {
  const card = h("article", { class: `card${item.open_barrier ? " open" : ""}`, "data-plate": item.plate },
    h("div", { class: "pics" }, picture(item.snapshot_url, "frame", "snapshot"), picture(item.crop_url, "crop", "plate")),
    h("div", { class: "body" },
      h("div", { class: "plate", text: item.plate }),
      h("div", { class: "facts" }, decision(item), h("span", { text: item.direction }),
        h("span", { text: percent(item.confidence) }), h("span", { text: item.camera || "" })),
      h("div", { class: "facts" }, h("span", { text: when(item.decided_at) }),
        h("span", { text: item.stage || "" }), item.match ? h("span", { text: item.match.name || "" }) : null)));
  card.dataset.stage = item.stage || "";
  card.dataset.reason = item.reason || "";
  card.dataset.open = item.open_barrier ? "true" : "false";
  return card;
}

function showEvent(item, older = false) {
  const card = eventCard(item);
  const old = state.live.get(item.event_id);
  if (old) old.replaceWith(card);  // the final event of a vehicle replaces its early decision
  else if (older) $("#live-events").append(card);
  else $("#live-events").prepend(card);
  state.live.set(item.event_id, card);
  while (state.live.size > LIVE_MAX) {
    const [oldest, node] = state.live.entries().next().value;
    node.remove();
    state.live.delete(oldest);
  }
  $("#live-empty").hidden = state.live.size > 0;
}

async function recentEvents() {
  const answer = await api("GET", "/api/history?limit=10");
  for (const row of answer.data) {  // newest first, below whatever the stream brought meanwhile
    if (!row.event_id || state.live.has(row.event_id)) continue;
    showEvent({ event_id: row.event_id, plate: row.plate_number, direction: row.status, confidence: row.confidence,
      camera: row.camera, open_barrier: row.open_barrier, reason: row.reason, decided_at: row.created_at,
      stage: "earlier", snapshot_url: row.snapshot_url, crop_url: row.crop_url,
      match: row.match_name ? { name: row.match_name } : null }, true);
  }
}

function startLive() {
  stopLive();
  liveState("connecting", "warn");
  recentEvents().catch(() => {});
  const stream = new EventSource("/api/events/stream");
  state.stream = stream;
  stream.addEventListener("open", () => liveState("live", "ok"));
  stream.addEventListener("plate", (message) => {
    try { showEvent(JSON.parse(message.data)); } catch (error) { say(`bad event: ${error.message}`); }
  });
  stream.addEventListener("error", () => {
    if (stream.readyState !== EventSource.CLOSED) { liveState("reconnecting", "warn"); return; }
    liveState("offline", "bad");  // refused (signed out, no cameras, too many streams): ask why, then retry
    state.retry = setTimeout(() => {
      api("GET", "/auth/me").then(() => startLive()).catch(() => {});
    }, 5000);
  });
}

function stopLive() {
  clearTimeout(state.retry);
  clearInterval(state.cameraTimer);
  if (state.stream) state.stream.close();
  state.stream = null;
}

// ---- cameras ----------------------------------------------------------------------------------------

function age(seconds) {
  if (seconds === null || seconds === undefined) return "no frame yet";
  return seconds < 90 ? `${seconds.toFixed(1)} s ago` : `${Math.round(seconds / 60)} min ago`;
}

async function loadCameras() {
  const answer = await api("GET", "/api/cameras");
  const tiles = answer.data.map((camera) => {
    const status = camera.connected ? ["up", "ok"] : ["down", "bad"];
    const fact = (name, value) => [h("dt", { text: name }), h("dd", { text: String(value ?? "") })];
    return h("article", { class: "tile", "data-camera": camera.name },
      h("h3", {}, h("span", { text: camera.name }), h("span", { class: `badge ${status[1]}`, text: status[0] })),
      h("dl", {}, fact("last frame", age(camera.last_frame_age_s)), fact("frames", camera.frames),
        fact("read", camera.processed), fact("vehicles", camera.vehicles), fact("reconnects", camera.reconnects)),
      camera.error ? h("div", { class: "error", text: camera.error }) : null);
  });
  $("#camera-tiles").replaceChildren(...(tiles.length ? tiles : [h("p", { class: "muted", text: "No cameras." })]));
  $("#camera-names").replaceChildren(...answer.data.map((c) => h("option", { value: c.name })));
}

// ---- history ----------------------------------------------------------------------------------------

function historyQuery() {
  const values = formValues($("#history-form"));
  const query = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset });
  const plate = values.plate.trim().toUpperCase().replace(/[\s-]/g, "");
  if (plate) query.set(values.match === "exact" ? "plate" : "plate_contains", plate);
  if (values.camera.trim()) query.set("camera", values.camera.trim());
  if (values.direction) query.set("direction", values.direction);
  for (const name of ["since", "until"]) {
    if (values[name]) query.set(name, new Date(values[name]).toISOString());
  }
  return query;
}

function historyRow(row) {
  const who = row.camera || (row.username ? `by ${row.username}` : row.source || "");
  return h("div", { class: "row", "data-plate": row.plate_number },
    row.crop_url ? picture(row.crop_url, "crop", "plate") : null,
    h("span", { class: "plate", text: row.plate_number }),
    h("span", { class: "facts" }, h("span", { text: when(row.created_at) }), h("span", { text: who }),
      h("span", { text: row.status }), h("span", { text: percent(row.confidence) }),
      row.event_id ? decision(row) : null));
}

async function loadHistory() {
  const answer = await api("GET", `/api/history?${historyQuery()}`);
  state.total = answer.paging.total;
  const first = answer.data.length ? state.offset + 1 : 0;
  $("#history-summary").textContent = `${first}–${state.offset + answer.data.length} of ${state.total}`;
  $("#history-rows").replaceChildren(...answer.data.map(historyRow));
  $("#history-prev").disabled = state.offset === 0;
  $("#history-next").disabled = state.offset + PAGE_SIZE >= state.total;
}

$("#history-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.offset = 0;
  loadHistory().catch(fail("#message"));
});
$("#history-prev").addEventListener("click", () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  loadHistory().catch(fail("#message"));
});
$("#history-next").addEventListener("click", () => {
  state.offset += PAGE_SIZE;
  loadHistory().catch(fail("#message"));
});

// ---- plate lists ------------------------------------------------------------------------------------

function validity(entry) {
  if (!entry.valid_from && !entry.valid_until) return "always";
  return `${entry.valid_from || "…"} – ${entry.valid_until || "…"}`;
}

function renderLists(lists) {
  $("#lists-error").hidden = !lists.error;
  $("#lists-error").textContent = lists.error ? `The newest file was refused: ${lists.error}` : "";
  const groups = ["allow", "deny", "watch"].map((name) => {
    const rows = lists[name].map((entry) => h("div", { class: "row", "data-list": name, "data-plate": entry.plate },
      h("span", { class: "plate", text: entry.plate }),
      h("span", { class: "facts" }, h("span", { text: entry.name }), h("span", { text: validity(entry) }),
        h("span", { text: entry.directions }), entry.gates.length ? h("span", { text: entry.gates.join(", ") }) : null,
        entry.hours.length ? h("span", { text: entry.hours.join("; ") }) : null),
      state.user.is_admin ? confirmButton("Remove", () => removeEntry(name, entry.plate)) : null));
    return [h("h3", { text: `${name} (${rows.length})` }),
      h("div", { class: "rows" }, rows.length ? rows : h("p", { class: "muted", text: "empty" }))];
  });
  $("#lists").replaceChildren(...groups.flat());
}

async function loadLists() { renderLists((await api("GET", "/api/lists")).data); }

async function removeEntry(list, plate) {
  try {
    const answer = await api("POST", `/api/lists/${list}/${encodeURIComponent(plate)}/delete`);
    renderLists(answer.data);
    say(answer.message, true);
  } catch (error) { say(error.message); loadLists().catch(() => {}); }
}

$("#list-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { list, plate, name, valid_from: from, valid_until: until, directions } = formValues(event.target);
  const entry = { plate, name, directions, valid_from: from || null, valid_until: until || null };
  try {
    const answer = await api("POST", `/api/lists/${list}`, entry);
    renderLists(answer.data);
    event.target.reset();
    say(answer.message, true);
  } catch (error) { say(error.message); }
});

// ---- manual record and photo upload ------------------------------------------------------------------

$("#manual-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const answer = await api("POST", "/api/plate", formValues(event.target));
    $("#record-result").textContent = `Recorded ${answer.data.plate_number} (${answer.data.status}).`;
    event.target.reset();
  } catch (error) { $("#record-result").textContent = error.message; }
});

$("#upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append("image", event.target.elements.image.files[0]);
  $("#record-result").textContent = "Reading…";
  try {
    const status = encodeURIComponent(event.target.elements.status.value);
    const answer = await api("POST", `/api/upload_image?status=${status}`, form);
    const found = answer.data.plate_number;
    $("#record-result").textContent = found ? `Read and recorded ${found}.` : "No plate found in the photo.";
  } catch (error) { $("#record-result").textContent = error.message; }
});

// ---- accounts -----------------------------------------------------------------------------------------

async function loadUsers() {
  if (!state.user.is_admin) return;
  const answer = await api("GET", "/auth/users");
  $("#users").replaceChildren(...answer.data.map((user) => h("div", { class: "row", "data-user": user.username },
    h("span", { class: "plate", text: user.username }),
    h("span", { class: "facts" }, h("span", { text: user.is_admin ? "administrator" : "operator" }),
      h("span", { text: user.created_at ? `since ${when(user.created_at)}` : "" })),
    user.id === state.user.id ? h("span", { class: "muted", text: "you" })
      : confirmButton("Delete", () => deleteUser(user.id)))));
}

async function deleteUser(id) {
  try {
    say((await api("POST", `/auth/users/${id}/delete`)).message, true);
  } catch (error) { say(error.message); }
  loadUsers().catch(fail("#message"));
}

$("#user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { username, password } = formValues(event.target);
  try {
    const answer = await api("POST", "/auth/register", { username, password, is_admin: event.target.elements.is_admin.checked });
    event.target.reset();
    say(answer.message, true);
    await loadUsers();
  } catch (error) { say(error.message); }
});

// ---- start ------------------------------------------------------------------------------------------

api("GET", "/auth/me").then((answer) => showConsole(answer.data)).catch(() => showLogin());
