// Models page: the catalog filters apply as you type (debounced) or choose, without a reload; the Search button
// still submits the form for a browser without JavaScript. The count is a live region (screen readers hear it).
const DELAY = 250;
let timer = null;
let inflight = null;

async function update(form) {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value) query.set(name, String(value));
  const target = form.action + (query.size ? "?" + query : "");
  if (inflight) inflight.abort();
  inflight = new AbortController();
  let response;
  try {
    response = await fetch(target, { headers: { "X-Console-Partial": "main" }, credentials: "same-origin", signal: inflight.signal });
  } catch { return; }  // aborted by a newer keystroke, or offline: the button still works
  if (response.status === 401) { location.reload(); return; }
  if (!response.ok) return;
  const template = document.createElement("template");
  template.innerHTML = await response.text();  // our own server-rendered, autoescaped markup
  const results = template.content.getElementById("model-results");
  const count = template.content.getElementById("model-count");
  if (!results || !count) return;
  document.getElementById("model-results").replaceWith(results);
  document.getElementById("model-count").textContent = count.textContent;  // same element: the live region speaks
  history.replaceState(null, "", target);
}

function schedule(form) {
  clearTimeout(timer);
  timer = setTimeout(() => update(form), DELAY);
}

function start() {
  const form = document.getElementById("model-filters");
  if (!form) return;
  form.addEventListener("input", (event) => { if (event.target.matches("input[type='search']")) schedule(form); });
  form.addEventListener("change", (event) => { if (event.target.matches("select")) update(form); });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
