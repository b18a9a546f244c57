/* Onboarding and settings: one step at a time, push permission only on request. */
(function () {
  "use strict";
  var form = document.getElementById("prefs-form");
  if (!form) return;
  var t = JSON.parse(document.getElementById("prefs-text").textContent);
  var slug = document.getElementById("app-script").getAttribute("data-tenant");
  var base = "/" + slug + "/";

  // --- Steps (onboarding only; settings show everything at once) -------------------------
  var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
  var current = 0;
  var wizard = form.classList.contains("wizard");
  var back = document.getElementById("step-back");
  var next = document.getElementById("step-next");
  var submit = document.getElementById("submit");

  function show(index, focus) {
    current = index;
    steps.forEach(function (s, i) { s.hidden = i !== index; });
    back.hidden = index === 0;
    next.hidden = index === steps.length - 1;
    submit.hidden = index !== steps.length - 1;
    if (focus) {
      steps[index].setAttribute("tabindex", "-1");
      steps[index].focus();
    }
    document.dispatchEvent(new CustomEvent("stadtbote:step", { detail: steps[index].id }));
  }

  function placesChosen() {
    var any = form.querySelector('input[name="district"]:checked');
    var lat = document.getElementById("point-lat").value.trim();
    var lon = document.getElementById("point-lon").value.trim();
    return !!any || (lat !== "" && lon !== "");
  }

  function stepProblem(step) {
    if (step.id === "step-places" && !placesChosen()) return t.needPlace;
    return null;
  }

  function say(step, problem) {
    var box = step.querySelector(".step-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "alert error step-error";
      box.setAttribute("role", "alert");
      step.insertBefore(box, step.children[1]);
    }
    box.textContent = problem || "";
    box.hidden = !problem;
  }

  if (wizard) {
    steps.forEach(function (s, i) {
      var no = s.querySelector(".step-no");
      if (no) no.textContent = t.stepShort.replace("%(n)s", i + 1).replace("%(total)s", steps.length) + " ";
    });
    var start = 0;
    steps.forEach(function (s, i) { if (s.getAttribute("data-error")) start = i; });
    show(start, false);
    next.addEventListener("click", function () {
      var problem = stepProblem(steps[current]);
      say(steps[current], problem);
      if (problem) return;
      show(current + 1, true);
    });
    back.addEventListener("click", function () { show(current - 1, true); });
    form.addEventListener("submit", function (e) {
      // Enter in a field of an early step moves on instead of sending half a form.
      if (current < steps.length - 1) {
        e.preventDefault();
        next.click();
      }
    });
  }

  // A returned form starts at its error summary, also in the settings (one long page).
  var err = document.getElementById("form-error");
  if (err) err.focus();

  // --- Push: explain first, ask only when the citizen presses the button ------------------
  var pushButton = document.getElementById("push-enable");
  var pushStatus = document.getElementById("push-status");
  var pushField = document.getElementById("push-subscription");
  var keep = document.getElementById("keep-push");
  var vapid = form.getAttribute("data-vapid");
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  function key(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function ready() {
    return navigator.serviceWorker.register(base + "sw.js", { scope: base }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  if (!supported) {
    pushStatus.textContent = t.pushUnsupported;
  } else if (pushButton) {
    pushButton.hidden = false;
    if (Notification.permission === "denied") pushStatus.textContent = t.pushDenied;
    pushButton.addEventListener("click", function () {
      pushStatus.textContent = t.pushAsking;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw new Error("denied");
        return ready();
      }).then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          return existing || reg.pushManager.subscribe({
            userVisibleOnly: true, applicationServerKey: key(vapid)
          });
        });
      }).then(function (sub) {
        pushField.value = JSON.stringify(sub);
        if (keep) { keep.checked = true; keep.disabled = false; }
        pushStatus.textContent = t.pushOn;
        pushButton.hidden = true;
      }).catch(function (e) {
        pushStatus.textContent = e && e.message === "denied" ? t.pushDenied : t.pushFailed;
      });
    });
  }
})();
