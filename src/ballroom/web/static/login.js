// The staff log-in of the control room and the judge's desk: one form and one handler.
// A page's <section id="login-section"> holds only its heading; this adds the form under it.
"use strict";

// Opens a session from the form and keeps its token for `page`, then awaits `enter()`.
// With `role`, a session of any other role is refused before its token is kept.
ballroom.staffLogin = function staffLogin({ page, role, enter }) {
  const field = (label, attrs) => ballroom.el("div", { class: "field" },
    ballroom.el("label", { for: attrs.id }, label),
    ballroom.el("input", { ...attrs, name: attrs.id, required: true }));
  const form = ballroom.el("form", { id: "login-form" },
    field("Name", { id: "name", autocomplete: "username" }),
    field("Password", { id: "password", type: "password", autocomplete: "current-password" }),
    ballroom.el("button", { id: "login", type: "submit", class: "primary" }, "Log in"));
  document.getElementById("login-section").append(form,
    ballroom.el("div", { id: "login-message", class: "messages" }));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ballroom.show("login-message", null);
    try {
      const session = await ballroom.api("POST", "/api/v1/sessions", {
        body: {
          name: document.getElementById("name").value,
          password: document.getElementById("password").value,
        },
      });
      if (role && session.role !== role) throw new Error(`this account is not a ${role}'s`);
      ballroom.setToken(page, session.token);
      await enter();
    } catch (error) {
      ballroom.setToken(page, null);
      ballroom.show("login-message", ballroom.describe(error), "error");
    }
  });
};
