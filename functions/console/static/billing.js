// Billing page: Add credits (POST /v1/billing/checkout, then Stripe Checkout), the success page's fulfilment call,
// the alert and auto top-up settings (PATCH /v1/billing/settings). Handlers are delegated from the document, so
// they survive the page's live updates. No inline script (CSP).
const base = document.querySelector("meta[name='base-path']")?.content || "";
const csrf = () => document.querySelector("meta[name='csrf-token']")?.content || "";

async function api(method, path, body) {
  const response = await fetch(base + path, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
  return data;
}

function cents(text) {
  const match = /^\s*(\d{1,8})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
  return match ? Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0")) : null;
}

// As the pages write money (functions/console/money.py): thousands separators, 2 decimals for whole cents.
const dollars = (c) => "$" + Math.floor(c / 100).toLocaleString("en-US") + "." + String(c % 100).padStart(2, "0");

function showTotal(form) {
  const amount = cents(form.querySelector("#amount").value);
  const bps = Number(form.dataset.feeBps), fixed = Number(form.dataset.feeFixed);
  if (amount === null) { form.querySelector("#total").textContent = "—"; form.querySelector("#fee").textContent = "—"; return; }
  const fee = bps || fixed ? Math.ceil((amount * bps) / 10000) + fixed : 0;
  form.querySelector("#fee").textContent = dollars(fee);
  form.querySelector("#total").textContent = dollars(amount + fee);
}

function fail(form, error) {
  const box = form.querySelector("[role='alert']");
  box.textContent = error.message;
  box.hidden = false;
}

document.addEventListener("input", (event) => {
  const form = event.target.closest("#add-credits");
  if (form) showTotal(form);
});

document.addEventListener("click", async (event) => {
  const preset = event.target.closest("#add-credits [data-amount]");
  if (preset) {
    const form = preset.closest("form");
    form.querySelector("#amount").value = preset.dataset.amount;
    showTotal(form);
    return;
  }
  const card = event.target.closest("#save-card");
  if (card) {
    card.disabled = true;
    try { location.assign((await api("POST", "/v1/billing/auto-topup/setup")).url); }
    catch (error) { card.disabled = false; alert(error.message); }
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!["add-credits", "alert-settings", "auto-settings"].includes(form.id)) return;
  event.preventDefault();
  const button = form.querySelector("button[type='submit']");
  button.disabled = true;
  form.querySelector("[role='alert']").hidden = true;
  try {
    if (form.id === "add-credits") {
      const checkout = await api("POST", "/v1/billing/checkout", { amount: form.querySelector("#amount").value.trim() });
      location.assign(checkout.url);  // Stripe Checkout; it comes back to this page
      return;
    }
    const fields = Object.fromEntries(new FormData(form));
    const body = form.id === "alert-settings"
      ? { low_balance_threshold: fields.low_balance_threshold || "0", alert_email: fields.alert_email || null }
      : { auto_topup: { enabled: form.querySelector("#auto-enabled").checked, threshold: fields.threshold || "0",
          amount: fields.amount || "0", monthly_cap: fields.monthly_cap || "0" } };
    await api("PATCH", "/v1/billing/settings", body);
    button.textContent = "Saved";
    setTimeout(() => { button.textContent = form.id === "alert-settings" ? "Save alert" : "Save auto top-up"; }, 2000);
  } catch (error) {
    fail(form, error);
  } finally {
    button.disabled = false;
  }
});

// Back from Checkout: credit the purchase now (the webhook does the same; whichever is first credits it).
async function fulfil() {
  const pending = document.querySelector("[data-fulfil]");
  if (!pending) return;
  try {
    const purchase = await api("POST", `/v1/billing/purchases/${encodeURIComponent(pending.dataset.fulfil)}/fulfil`);
    if (purchase.status === "paid") {
      pending.textContent = `Payment received: $${purchase.amount} added to your balance.`;
      pending.removeAttribute("data-fulfil");
    }
  } catch { /* the webhook will credit it; the page refreshes every 2 s */ }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fulfil); else fulfil();
