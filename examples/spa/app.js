// The page: sign in, list credentials, open one, edit it with If-Match, connect an OAuth2
// credential. Every value from the API reaches the DOM as text (textContent), never as markup.

import { ApiError, Client } from "./api.js";

const api = new Client();
const $ = (sel) => document.querySelector(sel);
let current = null; // {credential, etag} of the credential on display
let nextCursor = null;

function show(el, visible) {
  el.hidden = !visible;
}

function notice(text) {
  $("#notice").textContent = text;
  show($("#notice"), Boolean(text));
}

function fail(err) {
  const e = err instanceof ApiError ? err : new ApiError(0, { detail: String(err) });
  const fields = e.errors.map((f) => ` ${f.field}: ${f.message}.`).join("");
  const id = e.requestId ? ` (request ${e.requestId})` : "";
  $("#error").textContent = `${e.code}: ${e.message}${fields}${id}`;
  show($("#error"), true);
  if (!api.signedIn) render();
}

function clearMessages() {
  notice("");
  show($("#error"), false);
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function cell(text, col) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.col = col;
  return td;
}

function row(c) {
  const tr = document.createElement("tr");
  tr.dataset.id = c.id;
  const open = document.createElement("button");
  open.type = "button";
  open.className = "link";
  open.textContent = c.name;
  open.addEventListener("click", () => openCredential(c.id).catch(fail));
  const name = document.createElement("td");
  name.dataset.col = "name";
  name.append(open);
  const status = cell(c.status, "status");
  status.className = `status ${c.status}`;
  tr.append(
    name,
    cell(c.service, "service"),
    cell(c.type, "type"),
    status,
    cell(when(c.last_used_at), "last_used"),
    cell(c.shared ? "yes" : "no", "shared"),
  );
  return tr;
}

async function loadList(more = false) {
  const { body } = await api.listCredentials(more ? nextCursor : null);
  const tbody = $("#credentials tbody");
  if (!more) tbody.replaceChildren();
  tbody.append(...body.items.map(row));
  nextCursor = body.next_cursor;
  show($("#more"), Boolean(nextCursor));
}

function definitions(dl, pairs) {
  dl.replaceChildren();
  for (const [key, value] of pairs) {
    const dt = document.createElement("dt");
    dt.textContent = key;
    const dd = document.createElement("dd");
    dd.textContent = Array.isArray(value) ? value.join(", ") : value ?? "";
    dd.dataset.field = key;
    dl.append(dt, dd);
  }
}

function renderCredential() {
  const { credential: c, etag } = current;
  $("#detail-name").textContent = c.name;
  definitions($("#detail-fields"), [
    ["service", c.service],
    ["type", c.type],
    ["status", c.status_detail ? `${c.status} (${c.status_detail})` : c.status],
    ["description", c.description],
    ["tags", c.tags],
    ["owner", c.owner.display_name],
    ["your access", c.access],
    ["version", String(c.version)],
    ["last used", when(c.last_used_at)],
    ["shared", c.shared ? `yes (${(c.shares || []).length})` : "no"],
    ["etag", etag],
  ]);
  // A `use`-only caller gets no data; secret fields arrive already masked.
  definitions($("#detail-data"), Object.entries(c.data || {}));
  const mayManage = ["owner", "manage"].includes(c.access);
  show($("#edit"), mayManage);
  show($("#connect"), mayManage && c.type === "oauth2" && c.data?.grant_type === "authorization_code");
  show($("#edit-form"), false);
  show($("#detail"), true);
}

async function openCredential(id, keepMessages = false) {
  if (!keepMessages) clearMessages();
  const { body, etag } = await api.getCredential(id);
  current = { credential: body, etag };
  renderCredential();
}

function startEdit() {
  const form = $("#edit-form");
  const c = current.credential;
  form.elements.name.value = c.name;
  form.elements.description.value = c.description || "";
  form.elements.tags.value = c.tags.join(", ");
  show(form, true);
  form.elements.name.focus();
}

async function saveEdit(event) {
  event.preventDefault();
  clearMessages();
  const f = event.target.elements;
  const changes = {
    name: f.name.value.trim(),
    description: f.description.value.trim() || null,
    tags: f.tags.value.split(",").map((t) => t.trim()).filter(Boolean),
  };
  try {
    // If-Match: the save is refused (412) when anyone changed the credential since it was read.
    const { body, etag } = await api.updateCredential(current.credential.id, changes, current.etag);
    current = { credential: body, etag };
    renderCredential();
    notice(`Saved ${body.name}.`);
    await loadList();
  } catch (err) {
    if (err instanceof ApiError && err.status === 412) {
      err.message += " Press Reload to see the current version, then edit again.";
    }
    fail(err);
  }
}

async function connect() {
  clearMessages();
  // credvault checks that return_to is on one of its CORS origins, and sends the browser back
  // here with credential_id and status, or error and error_description.
  const returnTo = location.origin + location.pathname;
  const { body } = await api.authorize(current.credential.id, returnTo);
  location.assign(body.authorization_url);
}

/** Back from the provider (through credvault's callback): say how it went, then tidy the URL. */
function oauthReturn() {
  const q = new URLSearchParams(location.search);
  const id = q.get("credential_id");
  if (!id) return null;
  if (q.get("error")) {
    fail(new ApiError(0, { code: q.get("error"), detail: `Connecting failed: ${q.get("error_description") || "no description"}` }));
  } else {
    notice(`Connected: the credential is ${q.get("status")}.`);
  }
  history.replaceState(null, "", location.pathname);
  return id;
}

function render() {
  show($("#sign-in"), !api.signedIn);
  show($("#vault"), api.signedIn);
  show($("#sign-out"), api.signedIn);
  if (!api.signedIn) {
    const base = new URLSearchParams(location.search).get("api") || api.base || "http://127.0.0.1:8080";
    $("#sign-in").elements.base.value = base;
    $("#who").textContent = "";
  }
}

async function signIn(event) {
  event.preventDefault();
  clearMessages();
  const f = event.target.elements;
  try {
    await api.signIn(f.base.value, f.email.value, f.password.value);
    f.password.value = "";
    await afterSignIn(null);
  } catch (err) {
    fail(err);
  }
}

async function afterSignIn(openId) {
  render();
  const { body: me } = await api.call("GET", "/v1/me");
  $("#who").textContent = `${me.display_name} (${me.role})`;
  await loadList();
  if (openId) await openCredential(openId, true);
}

async function main() {
  $("#sign-in").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => api.signOut().catch(fail).finally(render));
  $("#more").addEventListener("click", () => loadList(true).catch(fail));
  $("#edit").addEventListener("click", startEdit);
  $("#cancel-edit").addEventListener("click", () => show($("#edit-form"), false));
  $("#edit-form").addEventListener("submit", saveEdit);
  $("#reload").addEventListener("click", () => openCredential(current.credential.id).catch(fail));
  $("#connect").addEventListener("click", () => connect().catch(fail));
  const returned = oauthReturn();
  render();
  if (api.signedIn) {
    try {
      await afterSignIn(returned);
    } catch (err) {
      fail(err);
    }
  }
  document.body.dataset.ready = "true";
}

main();
