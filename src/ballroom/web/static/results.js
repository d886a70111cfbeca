// The public results page: the weeks of the season so far, and for a revealed night who goes
// home (the headline), the standings and why, in the same percentages as the table.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const RULES = {
    dwts: "Each couple's combined score is their share of the judges' points plus their share of the viewer votes.",
    strictly: "Couples are ranked by the judges and by the viewer votes; the two ranks are added up.",
    judges_save: "The two lowest couples by combined score dance off, and the judges choose whom to save.",
    skating: "Couples are placed by the majority of the judges' and the viewers' rankings.",
  };
  let nights = [];

  const pct = (value) => ballroom.pct(value);
  const list = (items) => items.length <= 1 ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

  function explain(result, names) {
    const byCouple = Object.fromEntries(result.standings.map((s) => [s.couple, s]));
    const score = (s) => `${pct(s.combined)} (judges' share ${pct(s.judges_share)} plus vote share ${pct(s.vote_share)})`;
    const lines = [];
    if (RULES[result.rules]) lines.push(RULES[result.rules]);
    const count = result.standings.length;
    const ordered = [...result.bottom].sort((a, b) => byCouple[b].place - byCouple[a].place);
    for (const couple of ordered) {
      const s = byCouple[couple];
      const out = result.eliminated.includes(couple);
      lines.push(`${names[couple]} placed ${s.place} of ${count} with ${score(s)}` +
        (out ? ", and goes home." : ": in the bottom, but safe."));
    }
    for (const tie of result.ties || []) {
      const tied = tie.map((c) => byCouple[c]).filter(Boolean);
      if (tied.length < 2) continue;
      lines.push(`${list(tied.map((s) => names[s.couple]))} were level on combined score (${pct(tied[0].combined)}); ` +
        `the tie was settled by viewer votes: ${list(tied.map((s) => `${names[s.couple]} ${ballroom.plural(s.votes, "vote", "votes")}`))}.`);
    }
    if (!result.eliminated.length) lines.push("Nobody goes home this week.");
    return lines;
  }

  function renderWeeks(selected) {
    const current = nights.find((n) => n.current);
    const upTo = current ? current.week : Math.max(0, ...nights.filter((n) => n.revealed).map((n) => n.week));
    $("weeks").replaceChildren(...nights.filter((n) => n.week <= upTo || n.revealed).map((n) => {
      const label = `Week ${n.week}: ${n.theme}`;
      if (!n.revealed) {
        return ballroom.el("li", {}, ballroom.el("span", {}, `Week ${n.week}: not announced yet`));
      }
      return ballroom.el("li", {}, ballroom.el("a", {
        href: `/results?week=${n.week}`, "aria-current": n.window === selected ? "page" : undefined,
        "data-testid": `week-${n.week}`,
        onclick: (event) => { event.preventDefault(); history.pushState(null, "", `/results?week=${n.week}`); show(n.window); },
      }, label));
    }));
  }

  async function show(window) {
    ballroom.show("results-message", null);
    $("board").classList.add("hidden");
    renderWeeks(window);
    const night = nights.find((n) => n.window === window);
    try {
      const result = await ballroom.api("GET", `/api/v1/nights/${encodeURIComponent(window)}/results`);
      const names = Object.fromEntries(night.couples.map((c) => [c.id, ballroom.coupleName(c)]));
      $("board-week").textContent = `Week ${night.week}`;
      $("board-title").textContent = night.theme;
      const gone = result.eliminated.map((c) => names[c]);
      $("eliminated").replaceChildren(...(gone.length
        ? [ballroom.el("span", { class: "who" }, list(gone)), gone.length === 1 ? " goes home." : " go home."]
        : ["Nobody goes home this week."]));
      $("leaderboard").querySelector("tbody").replaceChildren(...result.standings.map((s) =>
        ballroom.el("tr", {
          "data-testid": `standing-${s.couple}`,
          class: result.eliminated.includes(s.couple) ? "eliminated" : result.bottom.includes(s.couple) ? "bottom" : undefined,
        },
          ballroom.el("td", { class: "num place" }, s.place),
          ballroom.el("td", { class: "lead" }, names[s.couple]),
          ballroom.el("td", { class: "num", "data-label": "Judges' points" }, s.judges_points),
          ballroom.el("td", { class: "num", "data-label": "Judges' share" }, pct(s.judges_share)),
          ballroom.el("td", { class: "num", "data-label": "Votes" }, s.votes.toLocaleString("en-US")),
          ballroom.el("td", { class: "num", "data-label": "Vote share" }, pct(s.vote_share)),
          ballroom.el("td", { class: "num", "data-label": "Combined" }, pct(s.combined)))));
      $("explanation").replaceChildren(...explain(result, names).map((line) => ballroom.el("li", {}, line)));
      if (result.chain) {
        $("chain-root").textContent = result.chain.root;
        $("chain-entries").textContent = `${ballroom.plural(result.chain.entries, "ballot", "ballots")} in the log.`;
        $("chain").classList.remove("hidden");
      } else {
        $("chain").classList.add("hidden");
      }
      $("board").classList.remove("hidden");
    } catch (error) {
      ballroom.show("results-message", error.status === 404
        ? `The results of week ${night.week} have not been announced yet.` : ballroom.describe(error), "error");
    }
  }

  async function load() {
    const data = await ballroom.api("GET", "/api/v1/nights");
    nights = data.nights;
    const revealed = nights.filter((n) => n.revealed);
    const week = Number(new URLSearchParams(location.search).get("week"));
    const wanted = nights.find((n) => n.week === week);
    const pick = wanted ? wanted.window : (revealed.length ? revealed[revealed.length - 1].window : null);
    if (pick) {
      await show(pick);
    } else {
      renderWeeks(null);
      ballroom.show("results-message", "No results have been announced yet. They appear here after each show.");
    }
  }

  window.addEventListener("popstate", () => load());
  load().catch((error) => ballroom.show("results-message", ballroom.describe(error), "error"));
})();
