// Shared helpers of the ballroom pages: one fetch wrapper, tokens, small DOM builders.
"use strict";

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code ? body.code : "http_error";
    this.field = body ? body.field : undefined;
  }
}

const ballroom = {
  tokenKey(page) { return `ballroom.token.${page}`; },
  // A viewer stays signed in across visits (until the session expires); staff per tab.
  storage(page) { return page === "vote" ? localStorage : sessionStorage; },
  token(page) { return this.storage(page).getItem(this.tokenKey(page)); },
  setToken(page, token) {
    if (token) this.storage(page).setItem(this.tokenKey(page), token);
    else this.storage(page).removeItem(this.tokenKey(page));
  },

  async api(method, path, { body, token, headers } = {}) {
    const init = { method, headers: { Accept: "application/json", ...(headers || {}) } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (token) init.headers.Authorization = `Bearer ${token}`;
    const response = await fetch(path, init);
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  },

  // Reads a server-sent event stream with an Authorization header (EventSource cannot).
  async stream(path, token, onEvent, signal) {
    const response = await fetch(path, {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}` }, signal,
    });
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      throw new ApiError(response.status, data);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const chunk = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = chunk.split("\n").filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6)).join("\n");
        if (data) onEvent(JSON.parse(data));
      }
    }
  },

  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  },

  // A message in a box; errors are alerts, others polite status updates (both announced).
  show(target, message, kind = "ok") {
    const box = typeof target === "string" ? document.getElementById(target) : target;
    box.replaceChildren();
    if (!message) return;
    box.append(this.el("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status",
      "data-testid": `${box.id}-${kind}` }, message));
  },

  // Every message box of the page emptied: an earlier error must not outlive a success.
  clearMessages(root = document) {
    // A box marked data-keep says what still holds (e.g. results to recompute): not stale.
    for (const box of root.querySelectorAll(".messages:not([data-keep])")) box.replaceChildren();
  },

  // Words for the errors whose server message names ids a viewer has never seen.
  friendly: {
    window_closed: "Voting is not open right now, so nothing was saved.",
    invalid_token: "Your session has ended. Please sign in again.",
    token_expired: "Your session has ended. Please sign in again.",
    unauthorized: "Please sign in first.",
    invalid_credentials: "That name and password do not match an account.",
    rate_limited: "Too many tries. Please wait a while and try again.",
    unavailable: "The service is busy. Please try again in a moment.",
    mail_not_sent: "We could not send the email just now. Please try again in a moment.",
    unknown_couple: "That couple is not in tonight's vote. Please reload the page.",
    duplicate_score: "You have keyed this dance already. To change it, pick the new score and give a reason.",
    score_locked: "The scores are locked: nothing can be keyed or corrected any more.",
    score_out_of_range: "A score is a whole number from 1 to 10.",
    scores_incomplete: "Some scores are still missing: key them, or tick each judge who is absent tonight and say why, then lock.",
  },

  describe(error) {
    if (error instanceof ApiError) {
      const words = this.friendly[error.code];
      if (words) return words;
      if (error.status >= 500 || !error.message || error.message.startsWith("HTTP ")) {
        return "Something went wrong on our side. Please try again in a moment.";
      }
      const text = error.message.charAt(0).toUpperCase() + error.message.slice(1);
      return /[.!?]$/.test(text) ? text : `${text}.`;
    }
    if (error instanceof TypeError) return "The connection failed. Check your network and try again.";
    const text = String(error && error.message ? error.message : error);
    return text.charAt(0).toUpperCase() + text.slice(1);
  },

  // "8:05 PM" today, "Tuesday, October 7 at 8:05 PM" another day, in the reader's time zone.
  when(iso, { seconds = false } = {}) {
    if (!iso) return "";
    const moment = new Date(iso);
    const time = moment.toLocaleTimeString("en-US", {
      hour: "numeric", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
    const today = new Date();
    if (moment.toDateString() === today.toDateString()) return `${time} today`;
    const day = moment.toLocaleDateString("en-US", {
      weekday: "long", month: "long", day: "numeric",
      ...(moment.getFullYear() !== today.getFullYear() ? { year: "numeric" } : {}) });
    return `${day} at ${time}`;
  },

  plural(count, one, many) { return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`; },

  newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  },

  coupleName(couple) { return `${couple.celebrity} & ${couple.professional}`; },

  pct(value) { return `${(100 * value).toFixed(2)}%`; },
};
