// The public receipt check: the ballot the log holds for a receipt code, in words.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);

  async function night(window) {
    try { return await ballroom.api("GET", `/api/v1/nights/${encodeURIComponent(window)}`); } catch (_) { return null; }
  }

  async function check(code) {
    ballroom.show("check-message", null);
    $("found").classList.add("hidden");
    if (!/^[0-9a-fA-F]{64}$/.test(code)) {
      ballroom.show("check-message", "A receipt code is 64 characters long, made of the digits 0 to 9 and the letters a to f.", "error");
      return;
    }
    let entry;
    try {
      entry = await ballroom.api("GET", `/api/v1/receipts/${code.toLowerCase()}`);
    } catch (error) {
      ballroom.show("check-message", error.status === 404
        ? "No ballot in the vote log has this receipt code. Check that you copied all of it." : ballroom.describe(error), "error");
      return;
    }
    const info = await night(entry.window);
    const names = info ? Object.fromEntries(info.couples.map((c) => [c.id, `${c.celebrity} & ${c.professional}`])) : {};
    $("found-night").textContent = info ? `Week ${info.week}: ${info.theme}` : "A night of this season";
    $("found-channel").textContent = entry.channel === "sms" ? "A text message" : "Online";
    const votes = Object.entries(entry.allocation || {});
    $("found-votes").textContent = votes.length
      ? votes.map(([c, n]) => `${ballroom.plural(n, "vote", "votes")} for ${names[c] || "a couple of that night"}`).join(", ")
      : "None: this ballot withdrew the voter's earlier votes";
    $("found-when").textContent = ballroom.when(entry.ts, { seconds: true });
    $("found-counts").textContent = entry.superseded
      ? "No: the same voter saved a newer ballot later, and only the latest counts."
      : "Yes: this is the voter's latest ballot, so it is the one that counts.";
    const sound = entry.ok !== false && entry.content_ok !== false;
    $("verdict").textContent = sound
      ? "This receipt is in the vote log, and the ballot matches its fingerprint."
      : "This receipt is in the vote log, but the stored ballot does not match its fingerprint. Please tell the show.";
    $("verdict").className = `verdict ${sound ? "ok" : "bad"}`;
    $("found-root").classList.add("hidden");
    if (info && info.revealed) {
      try {
        const results = await ballroom.api("GET", `/api/v1/nights/${encodeURIComponent(entry.window)}/results`);
        if (results.chain) {
          $("root-hash").textContent = results.chain.root;
          $("found-root").classList.remove("hidden");
        }
      } catch (_) { /* the root shows once results are out */ }
    }
    $("found").classList.remove("hidden");
    $("found").focus();
  }

  $("check-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    history.replaceState(null, "", `/receipt?code=${encodeURIComponent(code)}`);
    check(code);
  });

  const given = new URLSearchParams(location.search).get("code");
  if (given) {
    $("code").value = given;
    check(given.trim());
  }
})();
