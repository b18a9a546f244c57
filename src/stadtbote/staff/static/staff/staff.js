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
