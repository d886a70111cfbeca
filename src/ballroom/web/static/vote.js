// The voter's page: sign up, verify the emailed code, allocate votes, save, show the receipt.
"use strict";
(() => {
  const PAGE = "vote";
  const $ = (id) => document.getElementById(id);
  const state = { night: null, window: null, cap: 10, votes: {}, pendingKey: null, email: null };

  function renderBallot() {
    const body = $("ballot").querySelector("tbody");
    body.replaceChildren();
    if (!state.night) return;
    for (const couple of state.night.couples) {
      const value = state.votes[couple.id] || 0;
      const output = ballroom.el("output", { "data-testid": `votes-${couple.id}` }, value);
      const minus = ballroom.el("button", {
        type: "button", "aria-label": `fewer votes for ${couple.celebrity}`,
        "data-testid": `minus-${couple.id}`, disabled: value <= 0,
        onclick: () => change(couple.id, -1),
      }, "−");
      const plus = ballroom.el("button", {
        type: "button", "aria-label": `more votes for ${couple.celebrity}`,
        "data-testid": `plus-${couple.id}`, disabled: value >= state.cap,
        onclick: () => change(couple.id, +1),
      }, "+");
      body.append(ballroom.el("tr", {},
        ballroom.el("td", {}, ballroom.coupleName(couple)),
        ballroom.el("td", { class: "mono" }, couple.keyword),
        ballroom.el("td", { class: "num" },
          ballroom.el("span", { class: "stepper" }, minus, output, plus))));
    }
    updateSave();
  }

  function change(couple, delta) {
    const next = Math.max(0, Math.min(state.cap, (state.votes[couple] || 0) + delta));
    state.votes[couple] = next;
    state.pendingKey = null;  // a different ballot needs a new idempotency key
    renderBallot();
  }

  function updateSave() {
    const signedIn = Boolean(ballroom.token(PAGE));
    const open = Boolean(state.window && state.window.open);
    $("save").disabled = !(signedIn && open);
    $("signed-in").classList.toggle("hidden", !signedIn);
    $("sign-out").classList.toggle("hidden", !signedIn);
    if (signedIn) {
      $("signed-in").textContent = `Signed in${state.email ? ` as ${state.email}` : ""}.`;
    }
  }

  async function loadNight() {
    try {
      state.night = await ballroom.api("GET", "/api/v1/nights/current");
      state.window = await ballroom.api("GET", `/api/v1/windows/${state.night.window}`);
      state.cap = state.window.cap;
      $("cap").textContent = state.cap;
      $("night-title").textContent = `Week ${state.night.week}: ${state.night.theme}`;
      const phase = state.window.open ? "Voting is open" : `Voting is ${state.window.phase}`;
      $("night-status").replaceChildren(ballroom.el("span", {
        class: `pill ${state.window.open ? "open" : "closed"}`, "data-testid": "window-phase",
      }, phase));
    } catch (error) {
      $("night-status").textContent = ballroom.describe(error);
    }
    renderBallot();
  }

  $("signup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    ballroom.show("signup-message", null);
    const age = Number.parseInt($("age").value, 10);
    try {
      await ballroom.api("POST", "/api/v1/accounts", {
        body: { email: $("email").value, age: Number.isNaN(age) ? null : age,
                region: $("region").value },
      });
      state.email = $("email").value;
      ballroom.show("signup-message", "We emailed you a code. Enter it below.");
      $("verify-form").classList.remove("hidden");
      $("code").focus();
    } catch (error) {
      ballroom.show("signup-message", ballroom.describe(error), "error");
    }
  });

  $("verify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    ballroom.show("verify-message", null);
    try {
      const session = await ballroom.api("POST", "/api/v1/accounts/verify", {
        body: { email: state.email || $("email").value, code: $("code").value.trim() },
      });
      ballroom.setToken(PAGE, session.token);
      state.email = session.name;
      ballroom.show("verify-message", "Verified. You can vote now.");
      $("verify-form").classList.add("hidden");
      updateSave();
    } catch (error) {
      ballroom.show("verify-message", ballroom.describe(error), "error");
    }
  });

  $("save").addEventListener("click", async () => {
    ballroom.show("ballot-message", null);
    const allocation = {};
    for (const couple of state.night.couples) allocation[couple.id] = state.votes[couple.id] || 0;
    // The same key on a retry of the same ballot: the server answers the first receipt.
    state.pendingKey = state.pendingKey || ballroom.newKey();
    $("save").disabled = true;
    try {
      const receipt = await ballroom.api("POST", `/api/v1/windows/${state.night.window}/ballots`, {
        body: { allocation }, token: ballroom.token(PAGE),
        headers: { "Idempotency-Key": state.pendingKey },
      });
      state.pendingKey = null;
      showReceipt(receipt);
      ballroom.show("ballot-message", "Votes saved.");
    } catch (error) {
      if (error.status === 401) ballroom.setToken(PAGE, null);
      ballroom.show("ballot-message", ballroom.describe(error), "error");
    } finally {
      updateSave();
    }
  });

  $("sign-out").addEventListener("click", async () => {
    const token = ballroom.token(PAGE);
    ballroom.setToken(PAGE, null);
    try { await ballroom.api("DELETE", "/api/v1/sessions/current", { token }); } catch (_) { /* gone */ }
    updateSave();
  });

  function showReceipt(receipt) {
    $("receipt").classList.remove("hidden");
    $("receipt-id").textContent = receipt.ballot_id;
    $("receipt-ts").textContent = receipt.ts;
    $("receipt-hash").textContent = receipt.hash;
    const names = Object.fromEntries(state.night.couples.map((c) => [c.id, c.celebrity]));
    $("receipt-allocation").textContent = Object.entries(receipt.allocation)
      .map(([couple, votes]) => `${names[couple] || couple} ${votes}`).join(", ");
  }

  loadNight();
})();
