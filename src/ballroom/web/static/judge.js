// The judge's desk: log in, then key (or correct, with a reason) your own scores for tonight.
"use strict";
(() => {
  const PAGE = "judge";
  const $ = (id) => document.getElementById(id);
  const state = { me: null, night: null, sheet: null };

  function mine(couple, round) {
    if (!state.sheet || !state.me) return null;
    const found = state.sheet.scores.find(
      (s) => s.couple === couple && s.round === round && s.judge === state.me.judge);
    return found ? found.score : null;
  }

  function render() {
    const body = $("sheet").querySelector("tbody");
    body.replaceChildren();
    $("sheet-title").textContent =
      `Week ${state.night.week}: ${state.night.theme} — scores of ${state.me.name}`;
    $("lock-state").textContent = state.sheet.locked ? "The scores are locked." : "";
    for (const round of state.night.rounds) {
      for (const couple of state.night.couples) {
        const perf = state.night.performances.find((p) => p.couple === couple.id && p.round === round);
        const keyed = mine(couple.id, round);
        const id = `${couple.id}-${round}`.replace(/[^A-Za-z0-9_-]/g, "_");
        const select = ballroom.el("select", { "data-testid": `score-${id}`, "aria-label": `score for ${couple.celebrity}, ${round}` },
          ...Array.from({ length: 10 }, (_, i) => ballroom.el("option", { value: i + 1 }, i + 1)));
        if (keyed !== null) select.value = String(keyed);
        const reason = ballroom.el("input", {
          placeholder: "reason for the correction", "data-testid": `reason-${id}`,
          class: keyed === null ? "hidden" : undefined,
        });
        const button = ballroom.el("button", {
          type: "button", "data-testid": `key-${id}`, disabled: state.sheet.locked,
          onclick: () => key(couple.id, round, Number(select.value), keyed === null ? null : reason.value),
        }, keyed === null ? "Key" : "Correct");
        body.append(ballroom.el("tr", {},
          ballroom.el("td", {}, ballroom.coupleName(couple)),
          ballroom.el("td", {}, round),
          ballroom.el("td", { class: "muted" }, perf ? [perf.style, perf.song].filter(Boolean).join(" — ") : ""),
          ballroom.el("td", { class: "num", "data-testid": `keyed-${id}` }, keyed === null ? "—" : keyed),
          ballroom.el("td", {}, ballroom.el("span", { class: "row" }, select, reason, button))));
      }
    }
  }

  async function load() {
    const token = ballroom.token(PAGE);
    state.me = await ballroom.api("GET", "/api/v1/me", { token });
    state.night = await ballroom.api("GET", "/api/v1/nights/current");
    state.sheet = await ballroom.api("GET", `/api/v1/nights/${state.night.window}/scores`, { token });
    $("login-section").classList.add("hidden");
    $("sheet-section").classList.remove("hidden");
    render();
  }

  async function key(couple, round, score, reason) {
    ballroom.show("sheet-message", null);
    const body = { couple, round, score };
    if (reason !== null) body.reason = reason;
    try {
      const keyed = await ballroom.api("PUT", `/api/v1/nights/${state.night.window}/scores`, {
        body, token: ballroom.token(PAGE),
      });
      ballroom.show("sheet-message",
        `${keyed.corrected ? "Corrected" : "Keyed"} ${keyed.score} for ${couple} (${round}).`);
      await load();
    } catch (error) {
      ballroom.show("sheet-message", ballroom.describe(error), "error");
    }
  }

  ballroom.staffLogin({ page: PAGE, role: "judge", enter: load });

  $("log-out").addEventListener("click", async () => {
    const token = ballroom.token(PAGE);
    ballroom.setToken(PAGE, null);
    try { await ballroom.api("DELETE", "/api/v1/sessions/current", { token }); } catch (_) { /* gone */ }
    $("sheet-section").classList.add("hidden");
    $("login-section").classList.remove("hidden");
  });

  if (ballroom.token(PAGE)) {
    load().catch((error) => {
      ballroom.setToken(PAGE, null);
      ballroom.show("login-message", ballroom.describe(error), "error");
    });
  }
})();
