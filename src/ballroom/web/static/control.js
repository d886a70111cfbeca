// The control room: pick tonight's night, run its voting window, watch the live votes and the
// judges' scores, lock, compute and reveal the results, read the outbox and the audit log.
// Irreversible steps ask first, and each button is enabled only where its step applies.
"use strict";
(() => {
  const PAGE = "control";
  const $ = (id) => document.getElementById(id);
  const state = { nights: [], window: null, status: null, stream: null, tally: null };
  const token = () => ballroom.token(PAGE);
  const win = () => encodeURIComponent(selected().window);

  // Asks before an irreversible step; resolves true when confirmed.
  function confirmStep(title, text, yes) {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-yes").textContent = yes;
    return new Promise((resolve) => {
      const done = (answer) => () => { dialog.close(); resolve(answer); };
      $("confirm-yes").onclick = done(true);
      $("confirm-no").onclick = done(false);
      dialog.oncancel = () => resolve(false);
      dialog.showModal();
      $("confirm-no").focus();
    });
  }

  // Runs a step; on success every stale message goes and the room is refreshed.
  async function act(box, action, success) {
    ballroom.show(box, null);
    const used = document.activeElement;
    try {
      const out = await action();
      ballroom.clearMessages($("room"));
      if (success) ballroom.show(box, success);
      await refreshAll();
      if (used && used.isConnected && !used.disabled) used.focus();
      else $(box).setAttribute("tabindex", "-1"), $(box).focus();
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

  const PHASES = { open: "Voting is open", closed: "Voting has closed", pending: "Voting not open yet" };

  function renderStages(night, status) {
    const steps = [
      ["Prepared", night.prepared], ["Voting open", Boolean(status && (status.open || status.phase === "closed"))],
      ["Voting closed", Boolean(status && status.phase === "closed")], ["Scores locked", night.locked],
      ["Results computed", night.computed], ["Results revealed", night.revealed]];
    const next = steps.findIndex(([, done]) => !done);
    $("stages").replaceChildren(...steps.map(([label, done], i) => ballroom.el("li", {
      class: done ? "done" : i === next ? "now" : undefined,
      "aria-current": i === next ? "step" : undefined }, `${done ? "✓ " : ""}${label}`)));
  }

  function gate(night, status) {
    const prepared = night && night.prepared && status;
    const closed = Boolean(prepared && status.phase === "closed");
    $("make-current").disabled = Boolean(night && night.current);
    $("open-window").disabled = !(prepared && !status.open && !closed);
    $("close-window").disabled = !(prepared && status.open);
    $("schedule").disabled = !(prepared && !closed);
    $("lock").disabled = !(prepared && !night.locked);
    $("compute").disabled = !(closed && night.locked && !night.revealed);
    $("reveal").disabled = !(closed && night.computed && !night.revealed);
  }

  async function refreshWindow() {
    const night = selected();
    $("night-info").textContent = night
      ? `${night.couples.length} couples. Panel: ${night.judges.map((j) => j.name).join(", ")}.` +
        `${night.prepared ? "" : " This night is not prepared yet: make it tonight's night first."}`
      : "";
    if (!night || !night.prepared) {
      $("phase").textContent = "Not prepared";
      $("phase").className = "pill";
      state.window = null; state.status = null;
      stopStream();
      renderStages(night || {}, null);
      gate(night, null);
      return;
    }
    applyStatus(night, await ballroom.api("GET", `/api/v1/windows/${win()}`));
    if (state.window !== night.window) {
      state.window = night.window;
      startStream(night);
    }
    await refreshScores();
  }

  function applyStatus(night, status) {
    state.status = status;
    $("phase").textContent = PHASES[status.phase] || status.phase;
    $("phase").className = `pill ${status.open ? "open" : status.phase === "closed" ? "closed" : ""}`;
    renderStages(night, status);
    gate(night, status);
  }

  async function refreshScores() {
    const night = selected();
    if (!night || !night.prepared) return;
    renderScores(night, await ballroom.api("GET", `/api/v1/nights/${win()}/scores`, { token: token() }));
  }

  function renderScores(night, sheet) {
    const expected = night.judges.length * night.couples.length * night.rounds.length;
    $("score-info").textContent = `${sheet.scores.length} of ${expected} scores keyed` +
      (sheet.locked ? "; the scores are locked." : ".");
    const multi = night.rounds.length > 1;
    const head = ballroom.el("tr", {}, ballroom.el("th", { scope: "col" }, "Couple"),
      ...night.judges.map((j) => ballroom.el("th", { scope: "col", class: "num" }, j.name.split(" ")[0])),
      ballroom.el("th", { scope: "col", class: "num" }, "Total"));
    const rows = [];
    for (const round of night.rounds) {
      for (const couple of night.couples) {
        const cells = night.judges.map((j) => {
          const s = sheet.scores.find((x) => x.judge === j.id && x.couple === couple.id && x.round === round);
          return ballroom.el("td", { class: "num", "data-testid": `grid-${couple.id}-${j.id}` }, s ? s.score : "–");
        });
        const total = sheet.totals ? sheet.totals[couple.id] : undefined;
        rows.push(ballroom.el("tr", {}, ballroom.el("th", { scope: "row" },
          couple.celebrity, multi ? ` (${round})` : ""), ...cells,
          ballroom.el("td", { class: "num" }, total === undefined ? "" : total)));
      }
    }
    renderAbsences(night, sheet);
    $("scores-grid").querySelector("thead").replaceChildren(head);
    $("scores-grid").querySelector("tbody").replaceChildren(...rows);
  }

  // Judges with scores still missing: the producer may declare them absent (with a reason)
  // to lock anyway. Redrawn only when that set changes, so typing is never wiped.
  function renderAbsences(night, sheet) {
    const missing = sheet.locked ? [] : [...new Set(sheet.missing.map((m) => m.judge))];
    const key = `${night.window}:${missing.join(",")}`;
    if ($("absences").dataset.key === key) return;
    $("absences").dataset.key = key;
    if (!missing.length) { $("absences").replaceChildren(); return; }
    const name = (id) => (night.judges.find((j) => j.id === id) || { name: id }).name;
    $("absences").replaceChildren(ballroom.el("fieldset", {},
      ballroom.el("legend", {}, "Scores still missing"),
      ballroom.el("p", { class: "muted" }, "The scores lock only when every score is keyed, or when each judge " +
        "whose scores are missing is declared absent tonight, with a reason."),
      ...missing.map((judge) => {
        const count = sheet.missing.filter((m) => m.judge === judge).length;
        return ballroom.el("div", { class: "field" },
          ballroom.el("label", { class: "row", style: "font-weight:600;align-items:center" },
            ballroom.el("input", { type: "checkbox", id: `absent-${judge}`, "data-judge": judge,
              style: "width:auto;min-height:auto" }),
            `${name(judge)} is absent tonight (${ballroom.plural(count, "score", "scores")} missing)`),
          ballroom.el("label", { for: `absent-reason-${judge}` }, `Why ${name(judge)} is absent`),
          ballroom.el("input", { id: `absent-reason-${judge}`, autocomplete: "off" }));
      })));
  }

  function absences() {
    return Array.from(document.querySelectorAll("#absences input[type=checkbox]:checked"))
      .map((box) => ({ judge: box.dataset.judge, reason: $(`absent-reason-${box.dataset.judge}`).value.trim() }));
  }

  function renderTally(night, tally) {
    state.tally = tally;
    const sum = Object.values(tally.couples).reduce((n, c) => n + c.total, 0) || 1;
    const body = $("tallies").querySelector("tbody");
    body.replaceChildren(...night.couples.map((couple, i) => {
      const count = tally.couples[couple.id] || { web: 0, sms: 0, total: 0 };
      return ballroom.el("tr", { "data-testid": `tally-${couple.id}` },
        ballroom.el("th", { scope: "row" }, couple.celebrity),
        ballroom.el("td", { class: "num" }, count.web.toLocaleString("en-US")),
        ballroom.el("td", { class: "num" }, count.sms.toLocaleString("en-US")),
        ballroom.el("td", { class: "num", "data-testid": `tally-total-${couple.id}` }, count.total),
        ballroom.el("td", {}, ballroom.charts.share(count.total / sum,
          ballroom.charts.palette[i % ballroom.charts.palette.length])));
    }));
    $("tally-meta").textContent = `(${ballroom.plural(tally.ballots, "ballot", "ballots")} so far)`;
    ballroom.charts.lines($("votes-chart"), $("votes-legend"), tally, night.couples);
  }

  function stopStream() {
    if (state.stream) state.stream.abort();
    state.stream = null;
  }

  // The window's phase (a scheduled close passes by the server's clock), the live vote count
  // and the judges' scores as they are keyed, each as it changes (one stop for all three).
  function startStream(night) {
    stopStream();
    const controller = new AbortController();
    state.stream = controller;
    const id = encodeURIComponent(night.window);
    const stopped = (what) => (error) => {
      if (controller.signal.aborted) return;
      ballroom.show("window-message", `${what} stopped: ${ballroom.describe(error)} Reload the page to restart it.`, "error");
    };
    ballroom.stream(`/api/v1/windows/${id}/tallies/stream`, token(),
      (tally) => renderTally(night, tally), controller.signal)
      .catch(stopped("The live vote count"));
    ballroom.stream(`/api/v1/nights/${id}/scores/stream`, token(),
      (sheet) => renderScores(night, sheet), controller.signal)
      .catch(stopped("The judges' live scores"));
    // The night as the page holds it now (an action since may have changed it).
    const current = () => state.nights.find((n) => n.window === night.window) || night;
    ballroom.stream(`/api/v1/windows/${id}/events`, token(),
      (status) => applyStatus(current(), status), controller.signal)
      .catch(stopped("The window's live status"));
  }

  async function refreshOutbox() {
    const data = await ballroom.api("GET", "/api/v1/outbox?limit=20", { token: token() });
    $("outbox").querySelector("tbody").replaceChildren(...data.messages.map((m) =>
      ballroom.el("tr", {}, ballroom.el("td", {}, m.to), ballroom.el("td", { "data-testid": "outbox-body" }, m.body),
        ballroom.el("td", { class: "muted" }, ballroom.when(m.created_at)))));
  }

  // An audit entry as a sentence: who did what to which night, with the details in words.
  function auditText(entry) {
    const night = state.nights.find((n) => n.window === entry.target);
    const where = night ? `week ${night.week} (${night.theme})` : entry.target;
    const d = entry.detail || {};
    const couple = (id) => {
      const c = night && night.couples.find((x) => x.id === id);
      return c ? c.celebrity : id;
    };
    switch (entry.action) {
      case "prepare_night": return `made ${where} tonight's night`;
      case "open_window": return `opened voting for ${where}`;
      case "close_window": return `closed voting for ${where}`;
      case "schedule_window": return `scheduled voting for ${where}: opens ${ballroom.when(d.opens_at)}, closes ${ballroom.when(d.closes_at)}`;
      case "key_score": return `keyed ${d.score} for ${couple(d.couple)}${night && night.rounds.length > 1 ? ` (${d.round})` : ""}`;
      case "correct_score": return `corrected ${couple(d.couple)} from ${d.old} to ${d.new}, because “${d.reason || ""}”`;
      case "lock_scores": return `locked the scores of ${where}` +
        (d.missing ? ` with ${ballroom.plural(d.missing, "score", "scores")} missing` : "") +
        (d.absent ? `; absent: ${Object.entries(d.absent).map(([j, why]) =>
          `${(night && night.judges.find((x) => x.id === j) || { name: j }).name} (“${why}”)`).join(", ")}` : "");
      case "compute_results": return `computed the results of ${where}` +
        (d.eliminated && d.eliminated.length ? `: ${list(d.eliminated.map(couple))} eliminated` : "") +
        (d.voided_voters ? `, ${ballroom.plural(d.voided_voters, "voided voter", "voided voters")} left out` : "");
      case "integrity_void": return `voided voter ${d.voter || ""} in ${where}${d.reason ? `, because “${d.reason}”` : ""}`;
      case "integrity_clear": return `cleared voter ${d.voter || ""} in ${where}${d.reason ? `, because “${d.reason}”` : ""}`;
      case "reveal_results": return `revealed the results of ${where}`;
      default: {
        const words = entry.action.replace(/_/g, " ");
        const extra = Object.entries(d).filter(([, v]) => v !== null && typeof v !== "object")
          .map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(", ");
        return `${words} ${where}${extra ? ` (${extra})` : ""}`;
      }
    }
  }

  async function refreshAudit() {
    const data = await ballroom.api("GET", "/api/v1/audit?limit=30", { token: token() });
    $("audit").querySelector("tbody").replaceChildren(...data.entries.map((e) =>
      ballroom.el("tr", {}, ballroom.el("td", { class: "muted" }, ballroom.when(e.at, { seconds: true })),
        ballroom.el("td", {}, e.actor),
        ballroom.el("td", { "data-testid": "audit-entry" }, auditText(e)))));
  }

  async function refreshAll() {
    await loadNights();
    await refreshWindow();
    await refreshOutbox();
    await refreshAudit();
  }

  const list = (items) => items.length <= 1 ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

  function renderResults(result) {
    const names = Object.fromEntries(selected().couples.map((c) => [c.id, c.celebrity]));
    const rows = result.standings.map((s) => ballroom.el("tr", {},
      ballroom.el("td", { class: "num" }, s.place), ballroom.el("th", { scope: "row" }, names[s.couple] || s.couple),
      ballroom.el("td", { class: "num" }, s.judges_points), ballroom.el("td", { class: "num" }, s.votes.toLocaleString("en-US")),
      ballroom.el("td", { class: "num" }, ballroom.pct(s.combined))));
    const out = result.standings.filter((s) => result.eliminated.includes(s.couple));
    const safe = result.standings.filter((s) => !result.eliminated.includes(s.couple));
    let margin = "";
    if (out.length && safe.length) {
      const best = out.reduce((a, b) => (a.combined >= b.combined ? a : b));
      const next = safe.reduce((a, b) => (a.combined <= b.combined ? a : b));
      const points = (100 * (next.combined - best.combined)).toFixed(2);
      margin = `${names[best.couple]} finished ${points} percentage points of combined score behind ` +
        `${names[next.couple]}, the lowest couple who stays.`;
    }
    $("results-preview").replaceChildren(
      ballroom.el("p", { "data-testid": "eliminated", class: "headline" },
        out.length ? `Eliminated: ${list(out.map((s) => names[s.couple]))}` : "Nobody goes home"),
      margin ? ballroom.el("p", { "data-testid": "margin" }, margin) : "",
      ballroom.el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Computed standings" }, ballroom.el("table", {},
        ballroom.el("thead", {}, ballroom.el("tr", {},
          ...["Place", "Couple", "Judges", "Votes", "Combined"].map((h) => ballroom.el("th", { scope: "col" }, h)))),
        ballroom.el("tbody", {}, ...rows))));
  }

  function localToIso(value) { return value ? new Date(value).toISOString() : null; }
  const nightName = () => `week ${selected().week} (${selected().theme})`;

  $("make-current").addEventListener("click", () => act("night-message", () =>
    ballroom.api("POST", `/api/v1/nights/${win()}/current`, { token: token() }), "This is tonight's night now."));
  $("night-select").addEventListener("change", () => {
    ballroom.clearMessages($("room"));
    $("results-preview").replaceChildren();
    refreshWindow().catch((error) => ballroom.show("night-message", ballroom.describe(error), "error"));
  });
  $("open-window").addEventListener("click", () => act("window-message", () =>
    ballroom.api("POST", `/api/v1/windows/${win()}/open`, { token: token() }), "Voting is open."));
  $("close-window").addEventListener("click", async () => {
    if (!await confirmStep("Close voting?", `Viewers can no longer vote for ${nightName()}. Voting cannot be opened again.`, "Close voting")) return;
    act("window-message", () => ballroom.api("POST", `/api/v1/windows/${win()}/close`, { token: token() }), "Voting is closed.");
  });
  $("schedule").addEventListener("click", () => act("window-message", () =>
    ballroom.api("POST", `/api/v1/windows/${win()}/schedule`, { token: token(),
      body: { opens_at: localToIso($("opens-at").value), closes_at: localToIso($("closes-at").value) } }), "Scheduled."));
  $("lock").addEventListener("click", async () => {
    if (!await confirmStep("Lock the scores?", `The judges can no longer key or correct scores for ${nightName()}.`, "Lock scores")) return;
    const absent = absences();
    if (absent.some((a) => !a.reason)) {
      ballroom.show("results-message", "Say why each judge you ticked is absent tonight.", "error");
      return;
    }
    act("results-message", () => ballroom.api("POST", `/api/v1/nights/${win()}/lock`,
      { token: token(), body: { absent } }), "The scores are locked.");
  });
  $("compute").addEventListener("click", async () => {
    const result = await act("results-message", () =>
      ballroom.api("POST", `/api/v1/nights/${win()}/results`, { token: token() }),
      "Computed. Only producers see these results until you reveal them.");
    if (result) renderResults(result);
  });
  $("reveal").addEventListener("click", async () => {
    if (!await confirmStep("Reveal the results?", `Everyone sees the results of ${nightName()} on the public results page at once.`, "Reveal results")) return;
    act("results-message", () => ballroom.api("POST", `/api/v1/nights/${win()}/reveal`, { token: token() }),
      "Revealed: the public results page shows them now.");
  });
  const reload = (box, what) => () => what().catch((error) => ballroom.show(box, ballroom.describe(error), "error"));
  $("refresh-outbox").addEventListener("click", reload("night-message", refreshOutbox));
  $("refresh-audit").addEventListener("click", reload("night-message", refreshAudit));

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
    await refreshAll();  // starts the streams of tonight's night (startStream)
  }

  // enter() checks the role itself: it also resumes a session kept from an earlier visit.
  ballroom.staffLogin({ page: PAGE, enter });

  if (token()) enter().catch(() => logOut());
})();
