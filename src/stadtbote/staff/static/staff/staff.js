/* Staff console: small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Ask before actions that cannot be undone.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // After a failed action, take keyboard and screen reader users to the error summary.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // Polls (see _follow.html, _queue_results.html) swap only parts that cannot hold the focus.
  // What a person needs to hear is the change of state, once, in a live region outside them.
  var followBusy = null;
  function syncFollow() {
    var table = document.getElementById("follow-table");
    var news = document.getElementById("follow-news");
    if (!table || !news) return;
    var busy = table.getAttribute("data-resolving") === "1" ||
      table.querySelector("tbody tr:not([data-pending='0'])") !== null;
    if (followBusy === true && !busy) news.textContent = news.getAttribute("data-finished");
    followBusy = busy;
  }

  function syncQueue() {
    var results = document.getElementById("queue-results");
    var latest = document.getElementById("queue-latest");
    var news = document.getElementById("queue-news");
    var refresh = document.getElementById("queue-refresh");
    if (!results || !latest || !news || !refresh) return;
    // A list the person asked for (page load, filter, refresh) is what they see: remember it.
    if (!results.hasAttribute("data-shown")) results.setAttribute("data-shown", latest.getAttribute("data-stamp"));
    var changed = results.getAttribute("data-shown") !== latest.getAttribute("data-stamp");
    if (changed && refresh.hidden) {
      news.textContent = news.getAttribute("data-changed");
      refresh.hidden = false;
    } else if (!changed && !refresh.hidden) {
      var hadFocus = document.activeElement === refresh;
      news.textContent = "";
      refresh.hidden = true;
      if (hadFocus) document.getElementById("queue-count").focus();
    }
  }

  var refresh = document.getElementById("queue-refresh");
  if (refresh) {
    refresh.addEventListener("click", function () {
      // The address holds the filters and page shown (htmx pushes them when filtering).
      window.htmx.ajax("GET", location.pathname + location.search, { target: "#queue-results", swap: "outerHTML" });
    });
  }
  document.addEventListener("htmx:afterSettle", function () { syncFollow(); syncQueue(); });
  syncFollow();
  syncQueue();

  // The reported place on a small map; the coordinates are in the text beside it.
  var el = document.getElementById("case-map");
  if (el && window.L) {
    document.getElementById("case-map-figure").hidden = false;
    var at = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lon"))];
    var map = L.map(el, { keyboard: true, attributionControl: !!el.getAttribute("data-tiles") });
    map.setView(at, 17);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      el.classList.add("plain");
    }
    L.circleMarker(at, { radius: 9, color: "#8b0000", weight: 3, fillOpacity: 0.4 }).addTo(map);
  }
})();
