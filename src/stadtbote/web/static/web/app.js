/* Stadtbote citizen app: service worker, updates, read state, pushed messages in the inbox.
   Everything here is an enhancement: every page is readable without it. */
(function () {
  "use strict";
  var script = document.getElementById("app-script");
  if (!script) return;
  var slug = script.getAttribute("data-tenant");
  var base = "/" + slug + "/";

  function cookie(name) {
    var m = document.cookie.match("(?:^|; )" + name + "=([^;]*)");
    return m ? decodeURIComponent(m[1]) : null;
  }

  function offlineNote() {
    var note = document.getElementById("offline-note");
    if (note) note.hidden = navigator.onLine;
  }
  window.addEventListener("online", offlineNote);
  window.addEventListener("offline", offlineNote);
  offlineNote();

  // Updates: a new worker waits until the citizen chooses to reload, so a page never
  // changes under their hands; then it takes over and the page reloads once.
  var updateRequested = false;
  function offerUpdate(worker) {
    var banner = document.getElementById("update");
    var button = document.getElementById("update-button");
    if (!banner || !button) return;
    banner.hidden = false;
    button.addEventListener("click", function () {
      updateRequested = true;
      worker.postMessage({ type: "skip-waiting" });
    });
  }

  if ("serviceWorker" in navigator) {
    var reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      // Only after the citizen asked for the update; the very first worker taking control
      // of an open page needs no reload.
      if (reloading || !updateRequested) return;
      reloading = true;
      window.location.reload();
    });
    navigator.serviceWorker.register(base + "sw.js", { scope: base }).then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
      reg.addEventListener("updatefound", function () {
        var fresh = reg.installing;
        if (!fresh) return;
        fresh.addEventListener("statechange", function () {
          if (fresh.state === "installed" && navigator.serviceWorker.controller) offerUpdate(fresh);
        });
      });
    }).catch(function () { /* no offline support; pages still work */ });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "push") addPushed(event.data.item);
    });
  }

  // Opening a message marks it read (only subscribers have a CSRF cookie from our forms).
  var article = document.querySelector("[data-message-id]");
  var csrf = cookie("csrftoken");
  if (article && csrf && navigator.onLine) {
    var body = new URLSearchParams();
    body.append("id", article.getAttribute("data-message-id"));
    fetch(base + "inbox/read", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).catch(function () {});
  }

  // Messages that arrived by push but are not (yet) in the server's list: shown from the
  // service worker's store, so a push is in the inbox even when it came while offline.
  var list = document.getElementById("inbox-list");
  var labels = {};
  var labelData = document.getElementById("severity-labels");
  if (labelData) labels = JSON.parse(labelData.textContent);

  function addPushed(item) {
    if (!list || !item || !item.id) return;
    if (list.querySelector('[data-id="' + item.id + '"]')) return;
    var tpl = document.getElementById("pushed-item");
    var li = tpl.content.firstElementChild.cloneNode(true);
    var look = labels[item.severity] || { label: item.severity, symbol: "" };
    li.setAttribute("data-id", item.id);
    li.classList.add("sev-" + item.severity);
    var a = li.querySelector("a");
    a.href = base + "messages/" + item.id;
    if (item.lang) a.lang = item.lang;
    li.querySelector(".badge").classList.add("sev-" + item.severity);
    li.querySelector(".sym").textContent = look.symbol;
    li.querySelector(".label").textContent = look.label;
    li.querySelector(".title").textContent = item.title;
    list.insertBefore(li, list.firstChild);
    var empty = document.getElementById("inbox-empty");
    if (empty) empty.hidden = true;
  }

  if (list && "caches" in window) {
    caches.open("sb-" + slug + "-pushed").then(function (cache) {
      return cache.keys().then(function (keys) {
        return Promise.all(keys.map(function (req) {
          return cache.match(req).then(function (res) { return res && res.json(); });
        }));
      });
    }).then(function (items) {
      items.filter(Boolean).sort(function (a, b) {
        return String(a.sent || "").localeCompare(String(b.sent || ""));
      }).forEach(addPushed);
    }).catch(function () {});
  }

  // After erasure: forget the push registration and everything stored on this device.
  if (document.querySelector("[data-erased]")) {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.getRegistration(base).then(function (reg) {
        if (!reg) return;
        return reg.pushManager.getSubscription().then(function (sub) {
          return sub && sub.unsubscribe();
        });
      }).catch(function () {});
    }
    if ("caches" in window) {
      caches.keys().then(function (names) {
        names.filter(function (n) {
          return n === "sb-" + slug + "-pages" || n === "sb-" + slug + "-pushed";
        }).forEach(function (n) { caches.delete(n); });
      });
    }
  }
})();
