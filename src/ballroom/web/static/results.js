// The public results page: a revealed night's leaderboard and the reasons for its outcome.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let nights = [];

  async function show(window) {
    ballroom.show("results-message", null);
    $("board").classList.add("hidden");
    const night = nights.find((n) => n.window === window);
    try {
      const result = await ballroom.api("GET", `/api/v1/nights/${window}/results`);
      const names = Object.fromEntries(night.couples.map((c) => [c.id, ballroom.coupleName(c)]));
      $("board-title").textContent = `Week ${night.week}: ${night.theme}`;
      $("leaderboard").querySelector("tbody").replaceChildren(...result.standings.map((s) =>
        ballroom.el("tr", { "data-testid": `standing-${s.couple}` },
          ballroom.el("td", { class: "num" }, s.place),
          ballroom.el("td", {}, names[s.couple] || s.couple),
          ballroom.el("td", { class: "num" }, s.judges_points),
          ballroom.el("td", { class: "num" }, ballroom.pct(s.judges_share)),
          ballroom.el("td", { class: "num" }, s.votes.toLocaleString()),
          ballroom.el("td", { class: "num" }, ballroom.pct(s.vote_share)),
          ballroom.el("td", { class: "num" }, ballroom.pct(s.combined)))));
      const gone = result.eliminated.map((c) => names[c] || c);
      $("eliminated").textContent = gone.length ? `Eliminated: ${gone.join(", ")}` : "Nobody goes home tonight.";
      $("explanation").replaceChildren(...result.explanation.map((line) => ballroom.el("li", {}, line)));
      $("rules").textContent = `Rule set: ${result.rules}.`;
      $("board").classList.remove("hidden");
    } catch (error) {
      ballroom.show("results-message", ballroom.describe(error), "error");
    }
  }

  async function load() {
    const data = await ballroom.api("GET", "/api/v1/nights");
    nights = data.nights;
    const revealed = nights.filter((n) => n.revealed);
    const wanted = new URLSearchParams(location.search).get("window");
    const options = revealed.length ? revealed : nights;
    $("night-select").replaceChildren(...options.map((n) =>
      ballroom.el("option", { value: n.window }, `Week ${n.week}: ${n.theme}`)));
    const pick = wanted || (revealed.length ? revealed[revealed.length - 1].window : null);
    if (pick) {
      $("night-select").value = pick;
      await show(pick);
    } else {
      ballroom.show("results-message", "No results have been revealed yet.");
    }
  }

  $("night-select").addEventListener("change", () => show($("night-select").value));
  load().catch((error) => ballroom.show("results-message", ballroom.describe(error), "error"));
})();
