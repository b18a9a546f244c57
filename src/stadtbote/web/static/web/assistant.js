// The assistant without reloads: the question is posted in the background and the answer is
// appended to the conversation, a role="log" region that screen readers read out as it grows.
// Focus stays in the question field, ready for the next question. Without this script the
// same forms work as plain posts.
(function () {
  "use strict";
  const form = document.getElementById("ask-form");
  const log = document.getElementById("conversation");
  if (!form || !log || !window.fetch) return;
  const field = document.getElementById("question");
  const button = document.getElementById("ask-button");
  const status = document.getElementById("ask-status");
  const error = document.getElementById("ask-error");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const lang = document.documentElement.lang;
  const words = lang === "de"
    ? { busy: "Die Antwort wird gesucht …", failed: "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal." }
    : { busy: "Looking for the answer …", failed: "That did not work. Please try again." };

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "X-Stadtbote-Fetch": "1" },
    });
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = new FormData(form);
    button.disabled = true;
    status.textContent = words.busy;
    error.textContent = "";
    field.removeAttribute("aria-invalid");
    try {
      const response = await post(form.action, body);
      const html = await response.text();
      if (response.ok) {
        log.insertAdjacentHTML("beforeend", html);
        field.value = "";
      } else if (response.status === 422 || response.status === 429) {
        error.textContent = html.trim() || words.failed;  // our own message, as plain text
        field.setAttribute("aria-invalid", "true");
      } else {  // a proxy's or server's error page: never its markup as the message
        error.textContent = words.failed;
        field.setAttribute("aria-invalid", "true");
      }
    } catch (e) {
      error.textContent = words.failed;
    } finally {
      status.textContent = "";
      button.disabled = false;
      field.focus();
    }
  });

  // Enter sends, as in any chat; Shift+Enter starts a new line.
  field.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Thumbs up or down: the buttons' form is replaced by the thanks, and focus moves to it so
  // a keyboard user is not dropped at the top of the page.
  log.addEventListener("submit", async function (event) {
    const rateForm = event.target.closest(".rate-form");
    if (!rateForm) return;
    event.preventDefault();
    const body = new FormData(rateForm);
    body.set("helpful", event.submitter ? event.submitter.value : "yes");
    try {
      const response = await post(rateForm.action, body);
      if (!response.ok) return;
      const holder = rateForm.parentElement;
      holder.innerHTML = await response.text();
      const thanks = holder.firstElementChild;
      if (thanks) { thanks.tabIndex = -1; thanks.focus(); }
    } catch (e) { /* the buttons stay; a second try works */ }
  });
})();

// The form that passes a question to staff: after an error, the summary takes the focus so
// keyboard and screen-reader users start from the list of what to correct.
(function () {
  "use strict";
  const summary = document.getElementById("inquiry-errors");
  if (summary) summary.focus();
})();
