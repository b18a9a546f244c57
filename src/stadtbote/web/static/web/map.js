/* Maps of the citizen app (Leaflet). Without a tile server the districts are drawn on a plain
   background; every map has a text alternative on its page. */
(function () {
  "use strict";
  if (!window.L) return;
  var textEl = document.getElementById("prefs-text");
  var t = textEl ? JSON.parse(textEl.textContent) : {};

  function baseMap(el) {
    el.hidden = false;
    var tiles = el.getAttribute("data-tiles");
    var map = L.map(el, { keyboard: true, attributionControl: !!tiles, zoomSnap: 0.5 });
    var centre = (el.getAttribute("data-center") || "").split(",").map(parseFloat);
    // A valid view from the start: the map may be laid out while hidden (zero size).
    map.setView(centre.length === 2 && !isNaN(centre[0]) ? centre : [51.16, 10.45], 13);
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      el.classList.add("plain");
    }
    return map;
  }

  function visible(el) {
    return el.clientWidth > 0 && el.clientHeight > 0;
  }

  function districts(el, map, fit) {
    var slug = el.getAttribute("data-tenant");
    var lang = document.documentElement.lang || "de";
    return fetch("/api/v1/" + slug + "/areas?lang=" + encodeURIComponent(lang))
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, {
          style: { color: "#555", weight: 1.5, fillColor: "#9bb", fillOpacity: 0.12 },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
        }).addTo(map);
        if (fit && visible(el) && layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        return layer;
      });
  }

  function messageMap(el) {
    var map = baseMap(el);
    var areaId = el.getAttribute("data-area");
    var town = districts(el, map, !areaId);
    if (!areaId) return;
    var fc = JSON.parse(document.getElementById(areaId).textContent);
    var style = { color: "#8b0000", weight: 3, fillColor: "#d33", fillOpacity: 0.25 };
    var area = L.geoJSON(fc, {
      style: style,
      pointToLayer: function (f, latlng) {
        return L.circle(latlng, Object.assign({ radius: f.properties.radius_m }, style));
      }
    }).addTo(map);
    map.fitBounds(area.getBounds(), { padding: [20, 20], maxZoom: 16 });
    town.catch(function () {});
  }

  function pickMap(el) {
    var map = baseMap(el);
    var lat = document.getElementById("point-lat");
    var lon = document.getElementById("point-lon");
    var radius = document.getElementById("point-radius");
    var status = document.getElementById("point-status");
    var marker = null;
    ["map-help", "map-centre"].forEach(function (id) { document.getElementById(id).hidden = false; });

    function draw(announce) {
      var la = parseFloat(lat.value.replace(",", ".")), lo = parseFloat(lon.value.replace(",", "."));
      if (marker) { map.removeLayer(marker); marker = null; }
      if (isNaN(la) || isNaN(lo)) return;
      marker = L.circle([la, lo], {
        radius: parseInt(radius.value, 10), color: "#0b4f8a", weight: 3, fillOpacity: 0.2
      }).addTo(map);
      if (announce && t.pointSet) {
        status.textContent = t.pointSet.replace("%(lat)s", la.toFixed(5)).replace("%(lon)s", lo.toFixed(5));
      }
    }

    function set(latlng, announce) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      draw(announce);
      document.dispatchEvent(new CustomEvent("stadtbote:point"));
    }

    map.on("click", function (e) { set(e.latlng, true); });
    document.getElementById("map-centre").addEventListener("click", function () {
      set(map.getCenter(), true);
    });
    [lat, lon, radius].forEach(function (input) {
      input.addEventListener("change", function () { draw(false); });
    });

    var locate = document.getElementById("locate");
    if ("geolocation" in navigator) {
      locate.hidden = false;
      document.getElementById("locate-note").hidden = false;
      locate.addEventListener("click", function () {
        status.textContent = t.locating || "";
        navigator.geolocation.getCurrentPosition(function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          set(ll, true);
          map.setView(ll, 15);
        }, function () {
          status.textContent = t.locateFailed || "";
        }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
      });
    }

    var town = null;
    function fit() {
      if (!visible(el)) return;
      if (marker) map.fitBounds(marker.getBounds(), { maxZoom: 15 });
      else if (town && town.getLayers().length) map.fitBounds(town.getBounds(), { padding: [10, 10] });
    }
    districts(el, map, false).then(function (layer) {
      town = layer;
      draw(false);
      fit();
    }).catch(function () { draw(false); });

    // A map laid out while its step was hidden has no size; measure again when shown.
    document.addEventListener("stadtbote:step", function (e) {
      if (e.detail !== "step-places") return;
      map.invalidateSize();
      fit();
    });
  }

  function pointMap(el) {
    var map = baseMap(el);
    var at = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lon"))];
    map.setView(at, 17);
    L.circleMarker(at, { radius: 9, color: "#8b0000", weight: 3, fillOpacity: 0.4 }).addTo(map);
  }

  document.querySelectorAll("[data-map]").forEach(function (el) {
    var kind = el.getAttribute("data-map");
    if (kind === "message") messageMap(el);
    else if (kind === "pick") pickMap(el);
    else if (kind === "point") pointMap(el);
  });
})();
