/* Report form: show only the chosen category's questions, offer reports nearby before
   sending, and take the citizen to the first error. The form works without this file. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var slug = (document.getElementById("app-script") || {}).getAttribute
    ? document.getElementById("app-script").getAttribute("data-tenant") : "";
  var text = JSON.parse((document.getElementById("prefs-text") || { textContent: "{}" }).textContent);
  var lat = document.getElementById("point-lat");
  var lon = document.getElementById("point-lon");
  var nearby = document.getElementById("nearby");
  var confirmed = document.getElementById("confirmed-new");

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  function chosen() {
    var radio = form.querySelector("input[name=category]:checked");
    return radio ? radio.value : "";
  }

  function showQuestions() {
    var current = chosen();
    form.querySelectorAll("fieldset.questions").forEach(function (fs) {
      var mine = fs.getAttribute("data-category") === current;
      fs.hidden = !mine;
      fs.disabled = !mine;
      fs.querySelectorAll("[data-required]").forEach(function (input) {
        input.required = mine;
      });
    });
  }

  function card(item) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = "/" + slug + "/reports/" + item.id;
    a.textContent = text.follow + " (" + item.number + ", " + item.distance_m + " m)";
    li.appendChild(a);
    return li;
  }

  var asked = 0;
  function checkNearby() {
    var category = chosen();
    var la = parseFloat((lat.value || "").replace(",", "."));
    var lo = parseFloat((lon.value || "").replace(",", "."));
    if (!category || isNaN(la) || isNaN(lo) || !slug) return;
    var mine = ++asked;
    var url = "/api/v1/" + slug + "/reports/nearby?category=" + encodeURIComponent(category) +
      "&lat=" + la + "&lon=" + lo;
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : [];
    }).then(function (found) {
      if (mine !== asked) return;
      nearby.textContent = "";
      // The citizen has seen what is nearby; the server need not ask again.
      confirmed.value = "1";
      if (!found.length) return;
      var box = document.createElement("div");
      box.className = "card";
      var h = document.createElement("h2");
      h.textContent = text.nearbyTitle;
      var list = document.createElement("ul");
      found.forEach(function (item) { list.appendChild(card(item)); });
      box.appendChild(h);
      box.appendChild(list);
      nearby.appendChild(box);
    }).catch(function () { confirmed.value = ""; });
  }

  form.querySelectorAll("input[name=category]").forEach(function (radio) {
    radio.addEventListener("change", function () { showQuestions(); checkNearby(); });
  });
  [lat, lon].forEach(function (input) { input.addEventListener("change", checkNearby); });
  document.addEventListener("stadtbote:point", checkNearby);
  showQuestions();
})();
