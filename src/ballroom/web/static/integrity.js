// The control room's integrity panel: the live analysis of the selected night's vote log,
// flagged voters with their evidence and the producers' Void / Clear decisions (each with a
// reason, each audited), clusters with a bar chart of their sizes, and campaigns of real
// voters, which are legal tactical voting: reported, never removed.
"use strict";
(() => {
  const PAGE = "control";
  const SHOWN = 200; // flagged voters listed at once; the rest are counted
  const $ = (id) => document.getElementById(id);
  const el = (...args) => ballroom.el(...args);
  const token = () => ballroom.token(PAGE);
  const windowId = () => $("night-select").value;
  const fmt = (n) => Number(n).toLocaleString("en-US");
  // A margin of combined score (a fraction) in percentage points, as the results show shares.
  const margin = (m) => (m === null || m === undefined ? "not measurable"
    : `${(100 * Number(m)).toFixed(2)} percentage points`);
  let coupleNames = {};  // couple id -> celebrity, for the night being analysed
  const nameOf = (id) => coupleNames[id] || id;
  const names = (list) => (list && list.length ? list.map(nameOf).join(", ") : "nobody");
  // The analysis writes couple ids in its sentences: the room reads the couples' names.
  // Only whole words: never a part of an email address, a host or a device name.
  const withNames = (text) => String(text).replace(/[A-Za-z][\w-]*/g, (word, at, whole) => {
    const near = `${whole[at - 1] || " "}${whole[at + word.length] || " "}`;
    return /[@.+_/]/.test(near) ? word : coupleNames[word] || word;
  });

  function counterfactualText(report) {
    const cf = report.counterfactual;
    if (!cf) return `Effect on the result not measured: ${report.counterfactual_note || "no night"}.`;
    // The verdict holds across the detection's uncertainty (strong flags only, a tenth wrong).
    if (cf.verdict) {
      return `${withNames(cf.verdict)} (margin ${margin(cf.margin)} as cast, ` +
        `${margin(cf.margin_without_flagged)} without the ${fmt(cf.flagged_votes)} flagged votes.)`;
    }
    if (cf.changes) {
      return `Without the flagged votes the elimination would change: ${names(cf.eliminated_without_flagged)} ` +
        `instead of ${names(cf.eliminated)} (margin ${margin(cf.margin)} as cast, ` +
        `${margin(cf.margin_without_flagged)} without them; ${fmt(cf.flagged_votes)} flagged votes).`;
    }
    return `Without the flagged votes the elimination would not change: ${names(cf.eliminated)} ` +
      `either way, margin ${margin(cf.margin)} (${margin(cf.margin_without_flagged)} without them; ` +
      `${fmt(cf.flagged_votes)} flagged votes).`;
  }

  function allocationText(allocation) {
    return Object.entries(allocation).map(([c, v]) => `${nameOf(c)} ${v}`).join(", ");
  }

  function decide(voter, action) {
    const reason = $(`reason-${voter}`).value;
    return ballroom.api("POST", `/api/v1/windows/${windowId()}/integrity/decisions`, {
      token: token(), body: { voter, action, reason },
    });
  }

  async function act(voter, action) {
    ballroom.show("integrity-message", null);
    try {
      const decision = await decide(voter, action);
      ballroom.show("integrity-message",
        `${decision.action === "void" ? "Voided" : "Cleared"} ${decision.voter} (audited). ` +
        "Compute the results again to apply it.");
      await refresh();
      $("refresh-audit").click();
    } catch (error) {
      ballroom.show("integrity-message", ballroom.describe(error), "error");
    }
  }

  function flaggedRow(flag) {
    const decided = flag.decision ? flag.decision.action : "undecided";
    return el("tr", { "data-testid": `flagged-${flag.voter}`, "data-decision": decided },
      el("td", { class: "mono" }, flag.voter),
      el("td", {}, flag.strength ? `${Number(flag.strength).toFixed(1)}: ${flag.reasons.join(", ")}`
        : flag.reasons.join(", ")),
      el("td", {}, el("ul", { class: "evidence" }, ...flag.evidence.map((line) => el("li", {}, withNames(line))))),
      el("td", { class: "identity" }, ...[flag.email, flag.device, flag.ip].filter(Boolean)
        .map((part) => el("div", {}, part))),
      el("td", { class: "num", title: allocationText(flag.allocation) }, flag.votes),
      el("td", { "data-testid": `decision-${flag.voter}` }, flag.decision
        ? `${flag.decision.action} by ${flag.decision.actor}: ${flag.decision.reason}` : "undecided"),
      el("td", {},
        el("input", { id: `reason-${flag.voter}`, "aria-label": `reason for ${flag.voter}`,
          placeholder: "reason (required)", maxlength: "2000" }),
        el("div", { class: "row" },
          el("button", { type: "button", "data-testid": `void-${flag.voter}`,
            onclick: () => act(flag.voter, "void") }, "Void"),
          el("button", { type: "button", class: "secondary", "data-testid": `clear-${flag.voter}`,
            onclick: () => act(flag.voter, "clear") }, "Clear"))));
  }

  function clusterChart(clusters) {
    const NS = "http://www.w3.org/2000/svg";
    const top = clusters.map((c, i) => ({ i, kind: c.kind, size: c.voters.length, flagged: c.flagged }))
      .sort((a, b) => b.size - a.size).slice(0, 20);
    const svg = document.createElementNS(NS, "svg");
    const bar = 18;
    const width = 640;
    const left = 170;
    svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(1, top.length) * (bar + 4) + 4}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "cluster sizes");
    svg.setAttribute("data-testid", "cluster-chart");
    svg.classList.add("chart");
    const biggest = Math.max(1, ...top.map((c) => c.size));
    top.forEach((c, row) => {
      const y = 4 + row * (bar + 4);
      const label = document.createElementNS(NS, "text");
      label.setAttribute("x", "0");
      label.setAttribute("y", String(y + bar - 5));
      label.textContent = `#${c.i + 1} ${c.kind}`;
      const rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", String(left));
      rect.setAttribute("y", String(y));
      rect.setAttribute("height", String(bar));
      rect.setAttribute("width", String(Math.max(2, ((width - left - 50) * c.size) / biggest)));
      rect.setAttribute("class", c.flagged ? "bar flagged" : "bar");
      const value = document.createElementNS(NS, "text");
      value.setAttribute("x", String(left + 6 + ((width - left - 50) * c.size) / biggest));
      value.setAttribute("y", String(y + bar - 5));
      value.textContent = String(c.size);
      svg.append(label, rect, value);
    });
    return svg;
  }

  function campaignRow(campaign, effect) {
    const effectText = effect
      ? (effect.changes
        ? `without it ${names(effect.eliminated_without_campaign)} would go home instead`
        : "the elimination would be the same without it")
      : "";
    return el("tr", { "data-testid": `campaign-${campaign.target}` },
      el("td", {}, nameOf(campaign.target)),
      el("td", { class: "num" }, fmt(campaign.voters)),
      el("td", { class: "num" }, fmt(campaign.votes)),
      el("td", {}, `${campaign.first}–${campaign.last}, peak ${campaign.peak_minute}`),
      el("td", {}, el("strong", {}, "Legal tactical voting — reported, not removed. "), effectText));
  }

  function render(report) {
    $("integrity-summary").textContent = `${fmt(report.voters)} voters, ${fmt(report.ballots)} ballots, ` +
      `${fmt(report.flagged_voters.length)} flagged, ${report.voided.length} voided · log version ${report.log_version}`;
    $("integrity-counterfactual").textContent = counterfactualText(report);
    ballroom.show("integrity-stale", report.results.stale
      ? "Decisions since the results were computed: compute them again to apply." : null, "error");
    const flagged = report.flagged.slice(0, SHOWN);
    $("flagged").querySelector("tbody").replaceChildren(...flagged.map(flaggedRow));
    $("flagged-more").textContent = report.flagged.length > SHOWN
      ? `${fmt(report.flagged.length - SHOWN)} more flagged voters not listed.` : "";
    $("cluster-chart-box").replaceChildren(report.clusters.length ? clusterChart(report.clusters)
      : el("p", { class: "muted" }, "No clusters."));
    $("clusters").querySelector("tbody").replaceChildren(...report.clusters.map((c, i) =>
      el("tr", { "data-testid": `cluster-${i + 1}` }, el("td", {}, `#${i + 1}`), el("td", {}, c.kind),
        el("td", { class: "num" }, c.voters.length), el("td", {}, c.flagged ? "flagged" : "reported"),
        el("td", {}, withNames(c.evidence)))));
    const effects = Object.fromEntries(((report.counterfactual || {}).campaigns || [])
      .map((e) => [e.target, e]));
    $("campaigns").querySelector("tbody").replaceChildren(...report.campaigns.map((c) =>
      campaignRow(c, effects[c.target])));
    $("campaigns-none").textContent = report.campaigns.length ? "" : "No campaign found.";
    $("decisions").replaceChildren(...report.decisions.map((d) => el("li", { "data-testid": "decision" },
      `${ballroom.when(d.at)} ${d.actor}: ${d.action === "void" ? "voided" : "cleared"} ${d.voter} — ${d.reason}`)));
  }

  async function refresh() {
    if (!token() || !windowId()) return;
    const night = await ballroom.api("GET", `/api/v1/nights/${encodeURIComponent(windowId())}`);
    coupleNames = Object.fromEntries(night.couples.map((c) => [c.id, c.celebrity]));
    const report = await ballroom.api("GET", `/api/v1/windows/${windowId()}/integrity`, { token: token() });
    render(report);
  }

  async function analyse() {
    ballroom.show("integrity-message", null);
    try {
      await refresh();
    } catch (error) {
      ballroom.show("integrity-message", ballroom.describe(error), "error");
    }
  }

  $("analyse").addEventListener("click", analyse);
  $("night-select").addEventListener("change", () => {
    $("integrity-summary").textContent = "Press Analyse to read this night's log.";
  });
})();
