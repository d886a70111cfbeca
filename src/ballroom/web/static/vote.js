// The viewer's page: sign up or back in with an emailed code, give votes with the steppers,
// save (or withdraw), see the receipt. The couples are in the HTML already; this adds the
// behaviour, the saved ballot of a returning viewer and the live state of the window.
"use strict";
(() => {
  const PAGE = "vote";
  const $ = (id) => document.getElementById(id);
  const nightBox = $("night");
  if (!nightBox) return;  // no night is open yet: the page says so, nothing to drive
  const state = {
    window: nightBox ? nightBox.dataset.window : null,
    cap: nightBox ? Number(nightBox.dataset.cap) : 10,
    open: false, closesAt: null,
    votes: {}, saved: {}, receipt: null,
    pendingKey: null, email: null, newcomer: false,
  };
  const cards = Array.from(document.querySelectorAll("#couples .couple"));
  const nameOf = Object.fromEntries(cards.map((card) => [card.dataset.couple, card.dataset.name]));

  const signedIn = () => Boolean(ballroom.token(PAGE));
  const total = (votes) => Object.values(votes).reduce((sum, n) => sum + n, 0);
  const dirty = () => cards.some((card) =>
    (state.votes[card.dataset.couple] || 0) !== (state.saved[card.dataset.couple] || 0));

  function describeVotes(allocation) {
    const given = Object.entries(allocation).filter(([, n]) => n > 0)
      .sort(([a], [b]) => (nameOf[a] || a).localeCompare(nameOf[b] || b));
    if (!given.length) return "no votes";
    return given.map(([couple, n]) => `${ballroom.plural(n, "vote", "votes")} for ${nameOf[couple] || "a couple no longer in the vote"}`)
      .join(", ");
  }

  // Updates one card in place: the focused button keeps its focus (never re-created).
  function renderCard(card) {
    const couple = card.dataset.couple;
    const value = state.votes[couple] || 0;
    const usable = signedIn() && state.open;
    card.querySelector("output").textContent = value;
    const [minus, plus] = card.querySelectorAll("button.step");
    minus.setAttribute("aria-disabled", String(!usable || value <= 0));
    plus.setAttribute("aria-disabled", String(!usable || value >= state.cap));
    card.querySelector(".at-cap").classList.toggle("hidden", value < state.cap);
    card.classList.toggle("voted", value > 0);
  }

  function render() {
    for (const card of cards) renderCard(card);
    const given = total(state.votes);
    $("total").textContent = !state.open ? (signedIn() ? `${ballroom.plural(given, "vote", "votes")} saved` : "Voting is not open")
      : signedIn() ? `${ballroom.plural(given, "vote", "votes")} given` : "Sign in above to vote";
    const changed = dirty();
    $("dirty").classList.toggle("hidden", !changed);
    $("save").disabled = !(signedIn() && state.open && changed && given > 0);
    const withdrawable = signedIn() && state.open && total(state.saved) > 0;
    $("withdraw").classList.toggle("hidden", !withdrawable);
    $("signed-out").classList.toggle("hidden", signedIn());
    $("signed-in").classList.toggle("hidden", !signedIn());
    if (signedIn()) $("signed-in-as").textContent = state.email ? `Signed in as ${state.email}.` : "Signed in.";
  }

  function change(couple, delta) {
    if (!signedIn() || !state.open) return;
    const before = state.votes[couple] || 0;
    const next = Math.max(0, Math.min(state.cap, before + delta));
    if (next === before) {
      $("live-announcer").textContent = next >= state.cap
        ? `${state.cap} is the most votes for ${nameOf[couple]}.` : `No votes for ${nameOf[couple]}.`;
      return;
    }
    state.votes[couple] = next;
    state.pendingKey = null;  // a different ballot needs a new idempotency key
    ballroom.clearMessages($("ballot-section"));
    if (dirty()) $("receipt").classList.add("hidden");
    else if (state.receipt) showReceipt(state.receipt, { focus: false });
    $("live-announcer").textContent = `${ballroom.plural(next, "vote", "votes")} for ${nameOf[couple]}` +
      `${next >= state.cap ? `, the most allowed` : ""}. Not saved yet.`;
    render();
  }

  for (const card of cards) {
    for (const button of card.querySelectorAll("button.step")) {
      button.addEventListener("click", () => change(card.dataset.couple, Number(button.dataset.step)));
    }
  }

  // -- the window, followed live ------------------------------------------------------------

  function applyStatus(status) {
    const wasOpen = state.open;
    state.open = Boolean(status.open);
    const box = $("window-state");
    const pill = (cls, text) => ballroom.el("span", { class: `pill ${cls}`, "data-testid": "window-phase" }, text);
    if (status.open) {
      const closes = status.scheduled_close;
      box.replaceChildren(pill("open", "Voting is open"), " ",
        ballroom.el("span", { id: "closing", class: "muted" },
          closes ? `Closes at ${ballroom.when(closes)}.` : "Voting closes when the show ends."));
    } else if (status.phase === "closed") {
      box.replaceChildren(pill("closed", "Voting has closed"), " ",
        ballroom.el("span", { id: "closing", class: "muted" },
          `Closed at ${ballroom.when(status.closes_at)}. Votes are being counted. `,
          ballroom.el("a", { href: "/results", "data-testid": "results-link" }, "See the results"),
          " once they are announced."));
    } else {
      box.replaceChildren(pill("", "Voting has not opened yet"), " ",
        ballroom.el("span", { id: "closing", class: "muted" },
          status.scheduled_open ? `Opens at ${ballroom.when(status.scheduled_open)}.` : "Check back when the show starts."));
    }
    if (wasOpen && !state.open && dirty()) {
      ballroom.show("ballot-message", "Voting closed before these changes were saved; your last saved votes are the ones that count.", "error");
    }
    render();
  }

  function followWindow() {
    if (!state.window || !window.EventSource) return;
    const source = new EventSource(`/api/v1/windows/${encodeURIComponent(state.window)}/events`);
    source.addEventListener("status", (event) => applyStatus(JSON.parse(event.data)));
    // EventSource reconnects by itself after a dropped connection.
  }

  // -- signing in ---------------------------------------------------------------------------

  async function loadMine() {
    if (!signedIn() || !state.window) return;
    try {
      const me = await ballroom.api("GET", "/api/v1/me", { token: ballroom.token(PAGE) });
      state.email = me.name;
      const mine = await ballroom.api("GET", `/api/v1/windows/${encodeURIComponent(state.window)}/ballots/mine`,
        { token: ballroom.token(PAGE) });
      state.saved = {};
      if (mine.ballot) {
        state.saved = { ...mine.ballot.allocation };
        state.receipt = mine.ballot;
        showReceipt(mine.ballot, { focus: false, returning: true });
      }
      state.votes = { ...state.saved };
    } catch (error) {
      if (error.status === 401) ballroom.setToken(PAGE, null);
      else ballroom.show("ballot-message", ballroom.describe(error), "error");
    }
    render();
  }

  $("first-time").addEventListener("click", () => {
    state.newcomer = true;
    $("newcomer").classList.remove("hidden");
    $("first-time").classList.add("hidden");
    $("signup").textContent = "Sign up and send me a code";
    ballroom.show("signup-message", "Welcome! Tell us your age and where you live.");
    $("age").focus();
  });

  $("signup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    ballroom.show("signup-message", null);
    const email = $("email").value.trim();
    if (!email) {
      ballroom.show("signup-message", "Please enter your email address.", "error");
      $("email").focus();
      return;
    }
    try {
      if (!state.newcomer) {
        // The server answers the same for every address (it never tells who has signed
        // up): a first-time viewer is emailed how to sign up, or chooses "first time" here.
        await ballroom.api("POST", "/api/v1/accounts/sign-in", { body: { email } });
      } else {
        const age = Number.parseInt($("age").value, 10);
        if (Number.isNaN(age)) {
          ballroom.show("signup-message", "Please enter your age in years.", "error");
          $("age").focus();
          return;
        }
        await ballroom.api("POST", "/api/v1/accounts", {
          body: { email, age, region: $("region").value },
        });
      }
      state.email = email;
      ballroom.show("signup-message", `We emailed a code to ${email}. Enter it below.`);
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
        body: { email: state.email || $("email").value.trim(), code: $("code").value.trim() },
      });
      ballroom.setToken(PAGE, session.token);
      $("verify-form").classList.add("hidden");
      ballroom.clearMessages($("account"));
      await loadMine();
      ballroom.show("ballot-message", "You are signed in. Give your votes below, then save them.");
      const first = document.querySelector("#couples button.step[data-step='1']");
      if (first) first.focus();
    } catch (error) {
      ballroom.show("verify-message", ballroom.describe(error), "error");
    }
  });

  $("sign-out").addEventListener("click", async () => {
    if (dirty() && !window.confirm("Sign out and lose the votes you have not saved?")) return;
    const token = ballroom.token(PAGE);
    ballroom.setToken(PAGE, null);
    try { await ballroom.api("DELETE", "/api/v1/sessions/current", { token }); } catch (_) { /* gone */ }
    state.votes = {}; state.saved = {}; state.receipt = null; state.email = null;
    $("receipt").classList.add("hidden");
    ballroom.clearMessages();
    render();
    $("email").focus();
  });

  // -- saving ---------------------------------------------------------------------------------

  async function save(allocation) {
    ballroom.clearMessages($("ballot-section"));
    // The same key on a retry of the same ballot: the server answers the first receipt.
    state.pendingKey = state.pendingKey || ballroom.newKey();
    $("save").disabled = true;
    try {
      const receipt = await ballroom.api("POST", `/api/v1/windows/${encodeURIComponent(state.window)}/ballots`, {
        body: { allocation }, token: ballroom.token(PAGE),
        headers: { "Idempotency-Key": state.pendingKey },
      });
      state.pendingKey = null;
      state.saved = { ...receipt.allocation };
      state.votes = { ...state.saved };
      state.receipt = receipt;
      render();
      showReceipt(receipt, { focus: true });
    } catch (error) {
      if (error.status === 401) { ballroom.setToken(PAGE, null); render(); }
      ballroom.show("ballot-message", ballroom.describe(error), "error");
      render();
    }
  }

  $("save").addEventListener("click", () => {
    const allocation = {};
    for (const card of cards) allocation[card.dataset.couple] = state.votes[card.dataset.couple] || 0;
    save(allocation);
  });

  $("withdraw").addEventListener("click", () => {
    if (!window.confirm("Withdraw all your votes? You can vote again while voting is open.")) return;
    const allocation = {};
    for (const card of cards) allocation[card.dataset.couple] = 0;
    state.votes = { ...allocation };
    state.pendingKey = null;
    save(allocation);
  });

  function showReceipt(receipt, { focus, returning = false }) {
    const withdrawn = total(receipt.allocation) === 0;
    $("receipt-title").textContent = withdrawn
      ? "Your votes are withdrawn."
      : returning ? "Welcome back. These are your saved votes." : "Thank you! Your votes are saved.";
    $("receipt-summary").textContent = withdrawn
      ? "None of your online votes count now. You can vote again while voting is open."
      : `Counted: ${describeVotes(receipt.allocation)}.`;
    $("receipt-when").textContent = `Saved at ${ballroom.when(receipt.ts, { seconds: true })}.`;
    $("receipt-hash").textContent = receipt.hash;
    $("receipt-link").href = `/receipt?code=${encodeURIComponent(receipt.hash)}`;
    $("receipt").classList.remove("hidden");
    if (focus) $("receipt").focus();
  }

  window.addEventListener("beforeunload", (event) => {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own "leave the page?" question
  });

  // The server rendered the phase; the stream keeps it current from here on.
  const initial = document.querySelector("[data-testid='window-phase']");
  state.open = Boolean(initial && initial.classList.contains("open"));
  for (const time of document.querySelectorAll("#window-state time")) {
    time.textContent = ballroom.when(time.getAttribute("datetime"));
  }
  render();
  followWindow();
  loadMine();
})();
