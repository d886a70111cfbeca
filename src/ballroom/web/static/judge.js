// The judge's desk: log in, then key (or correct, with a reason) your own scores for tonight.
// Nothing is pre-selected: a score is keyed only after the judge picks it and confirms it.
"use strict";
(() => {
  const PAGE = "judge";
  const $ = (id) => document.getElementById(id);
  const state = { me: null, night: null, sheet: null };

  const slug = (couple, round) => `${couple}-${round}`.replace(/[^A-Za-z0-9_-]/g, "_");

  function mine(couple, round) {
    if (!state.sheet || !state.me) return null;
    const found = state.sheet.scores.find(
      (s) => s.couple === couple && s.round === round && s.judge === state.me.judge);
    return found ? found.score : null;
  }

  function judgeName() {
    const judge = state.night.judges.find((j) => j.id === state.me.judge);
    return judge ? judge.name : state.me.name;
  }

  function danceText(couple, round) {
    const perf = state.night.performances.find((p) => p.couple === couple && p.round === round);
    if (!perf || !perf.style) return "Dance and song not announced";
    return perf.song ? `${perf.style} to “${perf.song}”` : perf.style;
  }

  function card(couple, round) {
    const id = slug(couple.id, round);
    const keyed = mine(couple.id, round);
    const locked = state.sheet.locked;
    const multi = state.night.rounds.length > 1;
    const title = `${couple.celebrity} & ${couple.professional}`;
    const feedback = ballroom.el("div", { id: `msg-${id}`, class: "messages", tabindex: "-1" });
    const radios = Array.from({ length: 10 }, (_, i) => ballroom.el("label", {},
      ballroom.el("input", { type: "radio", name: `score-${id}`, value: i + 1, disabled: locked,
        "data-testid": `score-${id}-${i + 1}`, "aria-label": `${i + 1}` }),
      ballroom.el("span", { "aria-hidden": "true" }, i + 1)));
    const scores = ballroom.el("fieldset", { class: "scores", "data-testid": `score-${id}` },
      ballroom.el("legend", {}, keyed === null ? `Score for ${couple.celebrity}` : `New score for ${couple.celebrity}`), ...radios);
    const reasonField = keyed === null ? null : ballroom.el("div", { class: "field" },
      ballroom.el("label", { for: `reason-${id}` }, "Reason for the correction"),
      ballroom.el("input", { id: `reason-${id}`, "data-testid": `reason-${id}`, disabled: locked, autocomplete: "off" }));
    const confirmBox = ballroom.el("div", { class: "controls hidden", "data-testid": `confirm-box-${id}` });
    const keyButton = ballroom.el("button", {
      type: "button", class: "primary", "data-testid": `key-${id}`, disabled: locked,
    }, keyed === null ? "Key score" : "Correct score");

    keyButton.addEventListener("click", () => {
      ballroom.show(feedback, null);
      const picked = scores.querySelector("input:checked");
      if (!picked) {
        ballroom.show(feedback, "Pick a score from 1 to 10 first.", "error");
        scores.querySelector("input").focus();
        return;
      }
      const reason = reasonField ? reasonField.querySelector("input").value.trim() : null;
      if (reasonField && !reason) {
        ballroom.show(feedback, "A correction needs a reason.", "error");
        reasonField.querySelector("input").focus();
        return;
      }
      const score = Number(picked.value);
      const yes = ballroom.el("button", { type: "button", class: "primary", "data-testid": `confirm-${id}` },
        keyed === null ? `Yes, key ${score}` : `Yes, change to ${score}`);
      const no = ballroom.el("button", { type: "button", class: "secondary" }, "Cancel");
      confirmBox.replaceChildren(
        ballroom.el("span", { role: "status" }, keyed === null
          ? `Key ${score} for ${couple.celebrity}? It is official once keyed.`
          : `Change your score for ${couple.celebrity} from ${keyed} to ${score}?`), yes, no);
      confirmBox.classList.remove("hidden");
      keyButton.classList.add("hidden");
      no.addEventListener("click", () => {
        confirmBox.classList.add("hidden");
        keyButton.classList.remove("hidden");
        keyButton.focus();
      });
      yes.addEventListener("click", () => key(couple, round, score, reason));
      yes.focus();
    });

    return ballroom.el("article", { class: `perf${keyed === null ? "" : " keyed"}`, id: `perf-${id}`, "data-testid": `perf-${id}` },
      ballroom.el("header", {},
        ballroom.el("h2", {}, title, multi ? ` · ${round}` : ""),
        ballroom.el("p", { class: "keyed-score" }, "Your score: ",
          ballroom.el("span", { "data-testid": `keyed-${id}` }, keyed === null ? "not keyed" : String(keyed)))),
      ballroom.el("p", { class: "dance" }, danceText(couple.id, round)),
      scores, reasonField, ballroom.el("div", { class: "controls" }, keyButton), confirmBox, feedback);
  }

  function render() {
    $("sheet-night").textContent = `Week ${state.night.week}: ${state.night.theme}`;
    $("sheet-title").textContent = `Scores of ${judgeName()}`;
    $("lock-state").textContent = state.sheet.locked ? "The scores are locked." : "";
    const cards = [];
    for (const round of state.night.rounds) {
      for (const couple of state.night.couples) cards.push(card(couple, round));
    }
    $("sheet").replaceChildren(...cards);
    renderProgress();
  }

  function renderProgress() {
    const total = state.night.rounds.length * state.night.couples.length;
    let done = 0;
    for (const round of state.night.rounds) {
      for (const couple of state.night.couples) if (mine(couple.id, round) !== null) done += 1;
    }
    $("progress").textContent = `You have keyed ${done} of ${total} scores.`;
  }

  async function fetchSheet() {
    const token = ballroom.token(PAGE);
    state.sheet = await ballroom.api("GET", `/api/v1/nights/${encodeURIComponent(state.night.window)}/scores`, { token });
  }

  async function load() {
    const token = ballroom.token(PAGE);
    state.me = await ballroom.api("GET", "/api/v1/me", { token });
    if (state.me.role !== "judge") throw new Error("this account is not a judge's");
    state.night = await ballroom.api("GET", "/api/v1/nights/current");
    await fetchSheet();
    $("login-section").classList.add("hidden");
    $("sheet-section").classList.remove("hidden");
    render();
  }

  async function key(couple, round, score, reason) {
    const id = slug(couple.id, round);
    const body = { couple: couple.id, round, score };
    if (reason !== null) body.reason = reason;
    try {
      const keyed = await ballroom.api("PUT", `/api/v1/nights/${encodeURIComponent(state.night.window)}/scores`, {
        body, token: ballroom.token(PAGE),
      });
      await fetchSheet();
      const fresh = card(couple, round);
      $(`perf-${id}`).replaceWith(fresh);
      renderProgress();
      const feedback = $(`msg-${id}`);
      ballroom.show(feedback, `${keyed.corrected ? "Corrected to" : "Keyed"} ${keyed.score} for ${couple.celebrity}.`);
      feedback.focus();
    } catch (error) {
      const feedback = $(`msg-${id}`);
      ballroom.show(feedback, ballroom.describe(error), "error");
      if (error.status === 401) { ballroom.setToken(PAGE, null); }
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
