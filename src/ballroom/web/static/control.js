// The control room: pick tonight's night, run its voting window, watch live tallies,
// read the outbox, lock the scores, compute and reveal the results.
"use strict";
(() => {
  const PAGE = "control";
  const $ = (id) => document.getElementById(id);
  const state = { nights: [], window: null, stream: null };
  const token = () => ballroom.token(PAGE);

  async function act(box, action) {
    ballroom.show(box, null);
    try {
      const out = await action();
      await refreshAll();
      return out;
    } catch (error) {
      ballroom.show(box, ballroom.describe(error), "error");
      if (error.status === 401) logOut();
      return null;
    }
  }

  function selected() { return state.nights.find((n) => n.window === $("night-select").value); }

  async function loadNights() {
    const data = await ballroom.api("GET", "/api/v1/nights");
    state.nights = data.nights;
    const current = state.nights.find((n) => n.current);
    const keep = $("night-select").value;
    $("night-select").replaceChildren(...state.nights.map((n) => ballroom.el("option", {
      value: n.window }, `Week ${n.week}: ${n.theme}${n.current ? " (tonight)" : ""}`)));
    $("night-select").value = keep || (current ? current.window : state.nights[0].window);
  }

  async function refreshWindow() {
    const night = selected();
    $("night-info").textContent = night
      ? `${night.couples.length} couples, panel: ${night.judges.map((j) => j.name).join(", ")}` +
        `${night.prepared ? "" : " — not prepared yet"}`
      : "";
    if (!night || !night.prepared) {
      $("phase").textContent = "not prepared";
      state.window = null;
      stopStream();
      return;
    }
    const status = await ballroom.api("GET", `/api/v1/windows/${night.window}`);
    $("phase").textContent = status.phase;
    $("phase").className = `pill ${status.open ? "open" : status.phase === "closed" ? "closed" : ""}`;
    if (state.window !== night.window) {
      state.window = night.window;
      startStream(night);
    }
    const sheet = await ballroom.api("GET", `/api/v1/nights/${night.window}/scores`, { token: token() });
    $("score-info").textContent = `${sheet.scores.length} scores keyed, ${sheet.missing.length} missing` +
      (sheet.locked ? " — locked" : "");
  }

  function renderTally(night, tally) {
    const body = $("tallies").querySelector("tbody");
    body.replaceChildren(...night.couples.map((couple) => {
      const count = tally.couples[couple.id] || { web: 0, sms: 0, total: 0 };
      return ballroom.el("tr", { "data-testid": `tally-${couple.id}` },
        ballroom.el("td", {}, ballroom.coupleName(couple)),
        ballroom.el("td", { class: "num" }, count.web),
        ballroom.el("td", { class: "num" }, count.sms),
        ballroom.el("td", { class: "num", "data-testid": `tally-total-${couple.id}` }, count.total));
    }));
    $("tally-meta").textContent = `${tally.ballots} ballots · version ${tally.version}`;
  }

  function stopStream() {
    if (state.stream) state.stream.abort();
    state.stream = null;
  }

  function startStream(night) {
    stopStream();
    const controller = new AbortController();
    state.stream = controller;
    ballroom.stream(`/api/v1/windows/${night.window}/tallies/stream`, token(),
      (tally) => renderTally(night, tally), controller.signal)
      .catch((error) => {
        if (controller.signal.aborted) return;
        ballroom.show("window-message", `live tallies stopped: ${ballroom.describe(error)}`, "error");
      });
  }

  async function refreshOutbox() {
    const data = await ballroom.api("GET", "/api/v1/outbox?limit=20", { token: token() });
    $("outbox").querySelector("tbody").replaceChildren(...data.messages.map((m) =>
      ballroom.el("tr", {}, ballroom.el("td", {}, m.to), ballroom.el("td", { "data-testid": "outbox-body" }, m.body),
        ballroom.el("td", { class: "muted" }, m.created_at))));
  }

  async function refreshAudit() {
    const data = await ballroom.api("GET", "/api/v1/audit?limit=30", { token: token() });
    $("audit").querySelector("tbody").replaceChildren(...data.entries.map((e) =>
      ballroom.el("tr", {}, ballroom.el("td", { class: "muted" }, e.at), ballroom.el("td", {}, `${e.actor} (${e.role})`),
        ballroom.el("td", {}, e.action), ballroom.el("td", {}, e.target),
        ballroom.el("td", { class: "mono" }, JSON.stringify(e.detail)))));
  }

  async function refreshAll() {
    await loadNights();
    await refreshWindow();
    await refreshOutbox();
    await refreshAudit();
  }

  function renderResults(result) {
    const names = Object.fromEntries(selected().couples.map((c) => [c.id, c.celebrity]));
    const rows = result.standings.map((s) => ballroom.el("tr", {},
      ballroom.el("td", {}, s.place), ballroom.el("td", {}, names[s.couple] || s.couple),
      ballroom.el("td", { class: "num" }, s.judges_points), ballroom.el("td", { class: "num" }, s.votes),
      ballroom.el("td", { class: "num" }, ballroom.pct(s.combined))));
    $("results-preview").replaceChildren(
      ballroom.el("table", {}, ballroom.el("thead", {}, ballroom.el("tr", {},
        ...["Place", "Couple", "Judges", "Votes", "Combined"].map((h) => ballroom.el("th", {}, h)))),
        ballroom.el("tbody", {}, ...rows)),
      ballroom.el("p", { "data-testid": "eliminated" },
        `Eliminated: ${result.eliminated.map((c) => names[c] || c).join(", ") || "nobody"}`),
      ballroom.el("ol", { class: "explanation" }, ...result.explanation.map((line) => ballroom.el("li", {}, line))));
  }

  function localToIso(value) { return value ? new Date(value).toISOString() : null; }

  $("make-current").addEventListener("click", () => act("night-message", () =>
    ballroom.api("POST", `/api/v1/nights/${selected().window}/current`, { token: token() })));
  $("night-select").addEventListener("change", () => refreshWindow().catch(() => {}));
  $("open-window").addEventListener("click", () => act("window-message", () =>
    ballroom.api("POST", `/api/v1/windows/${selected().window}/open`, { token: token() })));
  $("close-window").addEventListener("click", () => act("window-message", () =>
    ballroom.api("POST", `/api/v1/windows/${selected().window}/close`, { token: token() })));
  $("schedule").addEventListener("click", () => act("window-message", () =>
    ballroom.api("POST", `/api/v1/windows/${selected().window}/schedule`, { token: token(),
      body: { opens_at: localToIso($("opens-at").value), closes_at: localToIso($("closes-at").value) } })));
  $("lock").addEventListener("click", () => act("results-message", () =>
    ballroom.api("POST", `/api/v1/nights/${selected().window}/lock`, { token: token() })));
  $("compute").addEventListener("click", async () => {
    const result = await act("results-message", () =>
      ballroom.api("POST", `/api/v1/nights/${selected().window}/results`, { token: token() }));
    if (result) renderResults(result);
  });
  $("reveal").addEventListener("click", async () => {
    const result = await act("results-message", () =>
      ballroom.api("POST", `/api/v1/nights/${selected().window}/reveal`, { token: token() }));
    if (result) ballroom.show("results-message", "Revealed: the results page shows them now.");
  });
  $("refresh-outbox").addEventListener("click", () => act("window-message", refreshOutbox));
  $("refresh-audit").addEventListener("click", () => act("window-message", refreshAudit));

  function logOut() {
    const old = token();
    ballroom.setToken(PAGE, null);
    stopStream();
    if (old) ballroom.api("DELETE", "/api/v1/sessions/current", { token: old }).catch(() => {});
    $("room").classList.add("hidden");
    $("login-section").classList.remove("hidden");
  }
  $("log-out").addEventListener("click", logOut);

  async function enter() {
    const me = await ballroom.api("GET", "/api/v1/me", { token: token() });
    if (me.role !== "producer") throw new Error("this account is not a producer's");
    $("login-section").classList.add("hidden");
    $("room").classList.remove("hidden");
    state.window = null;
    await refreshAll();
  }

  // enter() checks the role itself: it also resumes a session kept from an earlier visit.
  ballroom.staffLogin({ page: PAGE, enter });

  if (token()) enter().catch(() => logOut());
})();
