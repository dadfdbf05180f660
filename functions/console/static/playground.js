// The playground: up to three models answer the same conversation, streamed through the public inference route
// with the console session (and its CSRF token); answers rendered as Markdown with raw HTML escaped, then
// sanitized; chats saved through /v1/chats. No API key ever reaches this page.
import { Marked } from "./vendor/marked.esm.js";

const base = document.querySelector("meta[name='base-path']").content;
const csrf = document.querySelector("meta[name='csrf-token']").content;
const data = JSON.parse(document.getElementById("playground-data").textContent);
const models = new Map(data.models.map((m) => [m.id, m]));
const PARAMS = [
  ["temperature", "Temperature", { type: "number", min: 0, max: 2, step: 0.1 }],
  ["max_tokens", "Max tokens", { type: "number", min: 1, step: 1 }],
  ["top_p", "Top p", { type: "number", min: 0, max: 1, step: 0.05 }],
  ["reasoning_effort", "Reasoning effort", { options: ["", "low", "medium", "high"] }],
];
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// Raw HTML inside Markdown is shown as text, never rendered; DOMPurify then cleans what Markdown produced.
const markdown = new Marked({ gfm: true, breaks: true, renderer: { html: (token) => escapeHtml(token.text || token.raw || "") } });
const render = (text) => window.DOMPurify.sanitize(markdown.parse(text));
const $ = (id) => document.getElementById(id);

let state = { id: null, title: "New chat", system: "", columns: [{ model: models.has(data.default) ? data.default : data.models[0].id, params: {} }], messages: [] };
let running = [];

function api(path, options = {}) {
  const headers = { "X-CSRF-Token": csrf, ...(options.body ? { "Content-Type": "application/json" } : {}) };
  return fetch(base + path, { credentials: "same-origin", ...options, headers: { ...headers, ...(options.headers || {}) } });
}

function showError(text) {
  const box = $("composer-error");
  box.textContent = text || "";
  box.hidden = !text;
}

function renderPickers() {
  const pickers = $("pickers");
  pickers.replaceChildren();
  const filter = $("model-search").value.trim().toLowerCase();
  state.columns.forEach((column, index) => {
    const wrap = document.createElement("div");
    const id = `model-${index}`;
    const label = Object.assign(document.createElement("label"), { htmlFor: id, textContent: index === 0 ? "Model" : `Compare with (${index + 1})` });
    const select = Object.assign(document.createElement("select"), { id });
    for (const m of data.models) {
      if (filter && m.id !== column.model && !m.id.toLowerCase().includes(filter) && !m.name.toLowerCase().includes(filter)) continue;
      select.append(new Option(`${m.name} (${m.id})`, m.id, false, m.id === column.model));
    }
    select.addEventListener("change", () => { column.model = select.value; renderParams(); renderColumns(); });
    wrap.append(label, select);
    if (index > 0) {
      const remove = Object.assign(document.createElement("button"), { type: "button", className: "button secondary small", textContent: "Remove" });
      remove.setAttribute("aria-label", `Remove ${column.model} from the comparison`);
      remove.addEventListener("click", () => { state.columns.splice(index, 1); renderAll(); });
      wrap.append(remove);
    }
    pickers.append(wrap);
  });
  $("add-column").disabled = state.columns.length >= 3;
}

function renderParams() {
  const box = $("params");
  box.replaceChildren();
  const supported = new Set(state.columns.flatMap((c) => (models.get(c.model) || { parameters: [] }).parameters));
  const params = state.columns[0].params;
  for (const [name, text, spec] of PARAMS) {
    if (!supported.has(name)) continue;
    const id = `param-${name}`;
    const wrap = document.createElement("div");
    const label = Object.assign(document.createElement("label"), { htmlFor: id, textContent: text });
    let input;
    if (spec.options) {
      input = Object.assign(document.createElement("select"), { id });
      for (const o of spec.options) input.append(new Option(o || "Default", o, false, params[name] === o));
    } else {
      input = Object.assign(document.createElement("input"), { id, ...spec, placeholder: "Default", value: params[name] ?? "" });
    }
    input.addEventListener("change", () => {
      const value = input.value === "" ? undefined : spec.options ? input.value : Number(input.value);
      for (const c of state.columns) c.params[name] = value;
    });
    wrap.append(label, input);
    box.append(wrap);
  }
  const images = state.columns.every((c) => (models.get(c.model) || {}).images);
  $("attachment").disabled = !images;
  $("attach-note").textContent = images ? "" : "The selected model does not accept images.";
  if (!images) $("attachment").value = "";
}

function bubble(message) {
  const item = document.createElement("div");
  item.className = `turn ${message.role}`;
  const body = document.createElement("div");
  body.className = "turn-body";
  if (message.role === "user") {
    const parts = Array.isArray(message.content) ? message.content : [{ type: "text", text: message.content }];
    body.textContent = parts.filter((p) => p.type === "text").map((p) => p.text).join("\n");
    if (parts.some((p) => p.type === "image_url")) body.append(Object.assign(document.createElement("p"), { className: "muted", textContent: "Image attached" }));
  } else {
    body.innerHTML = render(message.content || "");
  }
  item.append(body);
  if (message.role === "assistant") item.append(meta(message));
  return item;
}

function meta(message) {
  const line = document.createElement("p");
  line.className = "turn-meta";
  if (message.error) {
    line.classList.add("bad");
    if (message.error_status === 402) {
      // Out of credits: the way forward is the Billing page, whatever the API's message suggests.
      const link = Object.assign(document.createElement("a"), { href: `${base}/console/billing`, textContent: "Add credits on the Billing page" });
      const detail = Object.assign(document.createElement("span"), { className: "muted small turn-detail", textContent: message.error });
      line.append("Not enough credits for this request. ", link, ".", detail);
    } else {
      line.textContent = message.error;
    }
    return line;
  }
  const u = message.usage || {};
  const parts = [];
  if (u.input_tokens !== undefined) parts.push(`${u.input_tokens} in · ${u.output_tokens} out tokens`);
  if (message.cost !== undefined) parts.push(`$${message.cost}`);
  if (message.latency_ms !== undefined) parts.push(`${message.latency_ms} ms`);
  if (message.ttft_ms !== undefined) parts.push(`first token ${message.ttft_ms} ms`);
  if (message.finish_reason === "stopped") parts.push("stopped");
  line.textContent = parts.join(" · ");
  return line;
}

function renderColumns() {
  const columns = $("columns");
  columns.replaceChildren();
  columns.classList.toggle("compare", state.columns.length > 1);
  state.columns.forEach((column, index) => {
    const section = document.createElement("section");
    section.className = "card column";
    section.setAttribute("aria-label", `Answers from ${column.model}`);
    section.append(Object.assign(document.createElement("h2"), { textContent: column.model }));
    const transcript = document.createElement("div");
    transcript.className = "transcript";
    transcript.id = `transcript-${index}`;
    transcript.setAttribute("aria-live", "polite");
    for (const m of state.messages) if (m.role === "user" || m.column === index) transcript.append(bubble(m));
    section.append(transcript);
    columns.append(section);
  });
}

function renderAll() {
  renderPickers();
  renderParams();
  renderColumns();
  $("system").value = state.system;
}

function conversation(index) {
  const turns = state.messages.filter((m) => m.role === "user" || (m.column === index && !m.error));
  const messages = turns.map((m) => ({ role: m.role, content: m.content }));
  return state.system ? [{ role: "system", content: state.system }, ...messages] : messages;
}

async function ask(index, controller) {
  const chat = state; // a late answer belongs to the chat that asked, even if another one is open by then
  const column = chat.columns[index];
  const supported = new Set((models.get(column.model) || { parameters: [] }).parameters);
  const params = Object.fromEntries(Object.entries(column.params).filter(([k, v]) => v !== undefined && supported.has(k)));
  const message = { role: "assistant", column: index, model: column.model, content: "" };
  const transcript = $(`transcript-${index}`);
  const view = bubble(message);
  transcript.append(view);
  const body = view.querySelector(".turn-body");
  try {
    const response = await api("/v1/chat/completions", {
      method: "POST",
      signal: controller.signal,
      body: JSON.stringify({ model: column.model, messages: conversation(index), stream: true, stream_options: { include_usage: true }, ...params }),
    });
    if (!response.ok) {
      const error = await response.json().catch(() => ({}));
      message.error_status = response.status;
      throw new Error((error.error && error.error.message) || `The request failed (${response.status}).`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const event of events) {
        const line = event.split("\n").find((l) => l.startsWith("data: "));
        if (!line || line === "data: [DONE]") continue;
        const chunk = JSON.parse(line.slice(6));
        message.request_id = message.request_id || chunk.id;
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && delta.content) { message.content += delta.content; body.innerHTML = render(message.content); }
        if (chunk.choices && chunk.choices[0] && chunk.choices[0].finish_reason) message.finish_reason = chunk.choices[0].finish_reason;
        if (chunk.usage) message.usage = { input_tokens: chunk.usage.prompt_tokens, output_tokens: chunk.usage.completion_tokens };
      }
    }
  } catch (error) {
    if (controller.signal.aborted) message.finish_reason = "stopped";
    else message.error = String(error.message).slice(0, 2000);  // the chats API keeps at most 2,000 characters
  }
  if (message.request_id) await settled(message);
  chat.messages.push(message);
  if (chat === state) view.replaceWith(bubble(message));
}

async function settled(message) {
  // The figures shown are the generation record's: the same the logs and GET /v1/generations/{id} give.
  // After Stop the server is still settling the request, so ask it to wait for the record.
  const response = await api(`/v1/generations/${encodeURIComponent(message.request_id)}?wait=10`);
  if (!response.ok) return;
  const record = await response.json();
  message.usage = { input_tokens: record.input_tokens, output_tokens: record.output_tokens };
  message.cost = record.cost;
  message.latency_ms = record.latency_ms;
  if (record.ttft_ms !== undefined && record.ttft_ms !== null) message.ttft_ms = record.ttft_ms;
}

async function send(event) {
  event.preventDefault();
  showError("");
  const text = $("message").value.trim();
  if (!text || running.length) return;
  let content = text;
  const file = $("attachment").files[0];
  if (file) {
    const url = await new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(file); });
    content = [{ type: "text", text }, { type: "image_url", image_url: { url } }];
  }
  state.system = $("system").value;
  state.messages.push({ role: "user", content });
  if (state.title === "New chat") state.title = text.slice(0, 60);
  $("message").value = "";
  $("attachment").value = "";
  renderColumns();
  const chat = state;
  running = state.columns.map(() => new AbortController());
  $("stop").disabled = false;
  $("send").disabled = true;
  await Promise.all(state.columns.map((_, i) => ask(i, running[i])));
  running = [];
  $("stop").disabled = true;
  $("send").disabled = false;
  if (chat === state && state.id) await save(); // auto-save the chat that asked, if it is still the one open
}

async function save() {
  state.system = $("system").value;
  const body = JSON.stringify({ title: state.title, system: state.system, columns: state.columns, messages: state.messages });
  const response = state.id
    ? await api(`/v1/chats/${state.id}`, { method: "PATCH", body })
    : await api("/v1/chats", { method: "POST", body });
  const answer = await response.json();
  if (!response.ok) { showError(answer.error.message); return; }
  state.id = answer.id;
  $("save-status").textContent = "Saved";
  await loadList();
}

async function loadList() {
  const response = await api("/v1/chats?limit=100");
  if (!response.ok) return;
  const page = await response.json();
  $("chat-count").textContent = `${page.count} of ${page.limit}`;
  const list = $("chat-list");
  list.replaceChildren();
  for (const chat of page.data) {
    const item = document.createElement("li");
    item.classList.toggle("current", chat.id === state.id);
    const open = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: chat.title });
    open.addEventListener("click", () => openChat(chat.id));
    const rename = Object.assign(document.createElement("button"), { type: "button", className: "button secondary small", textContent: "Rename" });
    rename.setAttribute("aria-label", `Rename ${chat.title}`);
    rename.addEventListener("click", () => renameInline(item, chat));
    const remove = Object.assign(document.createElement("button"), { type: "button", className: "button danger small", textContent: "Delete" });
    remove.setAttribute("aria-label", `Delete ${chat.title}`);
    remove.addEventListener("click", () => confirmDelete(item, chat));
    item.append(open, rename, remove);
    list.append(item);
  }
}

function renameInline(item, chat) {
  const form = document.createElement("form");
  form.className = "inline-form";
  const input = Object.assign(document.createElement("input"), { value: chat.title, maxLength: 200, required: true });
  input.setAttribute("aria-label", "Chat name");
  const ok = Object.assign(document.createElement("button"), { type: "submit", className: "button small", textContent: "Save name" });
  form.append(input, ok);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await api(`/v1/chats/${chat.id}`, { method: "PATCH", body: JSON.stringify({ title: input.value }) });
    if (chat.id === state.id) state.title = input.value;
    await loadList();
  });
  item.replaceChildren(form);
  input.focus();
}

function confirmDelete(item, chat) {
  const yes = Object.assign(document.createElement("button"), { type: "button", className: "button danger small", textContent: "Delete for good" });
  const no = Object.assign(document.createElement("button"), { type: "button", className: "button secondary small", textContent: "Keep" });
  yes.addEventListener("click", async () => {
    await api(`/v1/chats/${chat.id}`, { method: "DELETE" });
    if (chat.id === state.id) state.id = null;
    await loadList();
  });
  no.addEventListener("click", loadList);
  item.replaceChildren(Object.assign(document.createElement("span"), { textContent: `Delete “${chat.title}”?` }), yes, no);
  yes.focus();
}

async function openChat(id) {
  const response = await api(`/v1/chats/${id}`);
  if (!response.ok) return;
  const chat = await response.json();
  state = { id: chat.id, title: chat.title, system: chat.system || "", columns: chat.columns && chat.columns.length ? chat.columns : state.columns, messages: chat.messages || [] };
  $("save-status").textContent = "Saved";
  renderAll();
  await loadList();
}

function start() {
  $("composer").addEventListener("submit", send);
  $("stop").addEventListener("click", () => running.forEach((c) => c.abort()));
  $("save-chat").addEventListener("click", save);
  $("model-search").addEventListener("input", renderPickers);
  $("add-column").addEventListener("click", () => {
    if (state.columns.length < 3) state.columns.push({ model: state.columns[0].model, params: { ...state.columns[0].params } });
    renderAll();
  });
  $("new-chat").addEventListener("click", () => {
    state = { id: null, title: "New chat", system: "", columns: [{ ...state.columns[0], params: {} }], messages: [] };
    $("save-status").textContent = "";
    renderAll();
    loadList();
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) $("composer").requestSubmit();
  });
  renderAll();
  loadList();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
