// EmpirioLabs console: live updates, charts, copy buttons and dialogs. No inline script anywhere (CSP).
const PARTIAL = { "X-Console-Partial": "main" };
const PALETTE = ["#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316", "#64748b"];
const charts = [];

function announce(text) {
  const region = document.getElementById("announcer");
  if (region) { region.textContent = ""; setTimeout(() => { region.textContent = text; }, 50); }
}

function drawCharts(root) {
  while (charts.length) charts.pop().destroy();
  if (!window.uPlot) return;
  for (const data of root.querySelectorAll("script[type='application/json'][data-chart]")) {
    const target = document.getElementById(data.dataset.chart);
    if (!target) continue;
    const spec = JSON.parse(data.textContent);
    const labels = spec.x;
    const xs = labels.map((_, i) => i);
    const series = spec.series;
    if (!series.length) continue;  // the page shows an empty state instead of a chart
    const width = Math.max(260, target.clientWidth || 320);
    const usd = spec.unit === "USD";
    const bars = series.length === 1 && window.uPlot.paths && window.uPlot.paths.bars;
    const opts = {
      width, height: 240,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] } },
      axes: [
        { values: (u, ticks) => ticks.map((t) => shortLabel(labels[t])), gap: 4, size: 36, space: 56 },
        { size: usd ? 84 : 48, values: (u, ticks) => ticks.map((t) => (usd ? money(t) : Number.isInteger(t) ? String(t) : "")) },
      ],
      series: [{ label: spec.axis || "", value: (u, v) => (v == null ? "" : labels[v] || "") },
        ...series.map((s, i) => ({
          label: s.label, stroke: PALETTE[i % PALETTE.length], width: bars ? 0 : 2,
          fill: bars ? PALETTE[i % PALETTE.length] : undefined,
          paths: bars ? window.uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
          points: { show: !bars, size: 4 },
          value: (u, v) => (v == null ? "" : usd ? "$" + v.toFixed(6) : String(v)) }))],
    };
    target.textContent = "";
    charts.push(new window.uPlot(opts, [xs, ...series.map((s) => s.values)], target));
  }
}

function shortLabel(label) {
  if (!label) return "";
  if (label.length > 10) return label.slice(11, 16);  // an hour: HH:MM (local)
  return label.slice(5);  // a day: MM-DD
}

function money(value) {
  if (value === 0) return "$0";
  if (Math.abs(value) >= 1) return "$" + value.toFixed(2);
  return "$" + value.toFixed(6).replace(/0+$/, "");
}

function wire(root) {
  for (const button of root.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const text = source.value !== undefined ? source.value : source.textContent;
      try { await navigator.clipboard.writeText(text); } catch { source.select && source.select(); document.execCommand("copy"); }
      button.textContent = "Copied";
      announce("Copied to the clipboard");
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    });
  }
  for (const opener of root.querySelectorAll("[data-dialog]")) {
    opener.addEventListener("click", () => document.getElementById(opener.dataset.dialog).showModal());
  }
  for (const closer of root.querySelectorAll("dialog [data-close]")) {
    closer.addEventListener("click", () => closer.closest("dialog").close());
  }
  drawCharts(root);
}

async function refresh(main) {
  if (document.hidden || main.querySelector("dialog[open]") || main.contains(document.activeElement) && document.activeElement.matches("input, select")) return;
  const response = await fetch(location.href, { headers: PARTIAL, credentials: "same-origin", cache: "no-store" });
  if (response.status === 401) { location.reload(); return; }
  if (!response.ok) return;
  const html = await response.text();
  const template = document.createElement("template");
  template.innerHTML = html;  // our own server-rendered, autoescaped markup
  main.replaceChildren(template.content);
  wire(main);
}

function start() {
  const main = document.getElementById("main");
  wire(document);
  const every = Number(main && main.dataset.live);
  if (every > 0) setInterval(() => refresh(main).catch(() => {}), every);
  let resizeTimer;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => drawCharts(document), 200); });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
window.addEventListener("load", () => drawCharts(document));
