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
  token(page) { return sessionStorage.getItem(this.tokenKey(page)); },
  setToken(page, token) {
    if (token) sessionStorage.setItem(this.tokenKey(page), token);
    else sessionStorage.removeItem(this.tokenKey(page));
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

  show(target, message, kind = "ok") {
    const box = typeof target === "string" ? document.getElementById(target) : target;
    box.replaceChildren();
    if (!message) return;
    box.append(this.el("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status",
      "data-testid": `${box.id}-${kind}` }, message));
  },

  describe(error) {
    if (error instanceof ApiError) {
      return `${error.message} (${error.code}${error.field ? `, ${error.field}` : ""})`;
    }
    return String(error);
  },

  newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  },

  coupleName(couple) { return `${couple.celebrity} & ${couple.professional}`; },

  pct(value) { return `${(100 * value).toFixed(2)}%`; },
};
