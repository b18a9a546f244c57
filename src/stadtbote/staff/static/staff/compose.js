/* Compose: live character counts (push preview, SMS segments), drawing the target area.
   The form works without this file (the area can be typed as GeoJSON). */
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form) return;
  var lang = document.documentElement.lang || "de";
  var T = {
    de: { chars: "Zeichen", sms: "SMS", one: "Teil", many: "Teile", gsm: "GSM-7", ucs: "UCS-2 (Sonderzeichen)" },
    en: { chars: "characters", sms: "SMS", one: "part", many: "parts", gsm: "GSM-7", ucs: "UCS-2 (special characters)" }
  }[lang] || {};
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "^{}\\[~]|€\f";

  // What an SMS of this text costs: GSM-7 packs 160 characters (153 per part when split),
  // one character outside it switches the whole message to UCS-2 (70, or 67 per part).
  function smsParts(text) {
    var units = 0, ucs = false;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (GSM.indexOf(c) >= 0) units += 1;
      else if (GSM_EXT.indexOf(c) >= 0) units += 2;
      else { ucs = true; break; }
    }
    if (ucs) {
      units = Array.from(text).length;
      return { parts: units <= 70 ? 1 : Math.ceil(units / 67), encoding: T.ucs };
    }
    return { parts: units <= 160 ? 1 : Math.ceil(units / 153), encoding: T.gsm };
  }

  // Where the push preview cuts a text short.
  var PUSH_LIMIT = { title: 60, body: 140 };
  var news = document.getElementById("count-news");
  var states = {};

  function label(input) {
    var l = form.querySelector("label[for='" + input.id + "']");
    return l ? l.textContent.trim() : input.name;
  }

  // The counts are hints read with their field; only a change that matters is announced,
  // and only after the person edited something (not for what the page came back with).
  function say(input, state, announce) {
    var before = states[input.id];
    states[input.id] = state;
    if (!announce || !news || before === undefined) return;
    var limit = PUSH_LIMIT[input.getAttribute("data-count")];
    if (state.cut !== before.cut) {
      news.textContent = news.getAttribute(state.cut ? "data-cut" : "data-fits")
        .replace("{field}", label(input)).replace("{n}", limit);
    } else if (state.sms !== before.sms) {
      news.textContent = label(input) + ": " + state.sms;
    }
  }

  function count(input, announce) {
    var out = document.getElementById(input.id + "-count");
    if (!out) return;
    var n = Array.from(input.value).length;
    var text = n + " " + T.chars;
    var state = { cut: input.value.length > PUSH_LIMIT[input.getAttribute("data-count")], sms: "" };
    if (input.getAttribute("data-count") === "body") {
      var title = document.getElementById(input.id.replace("body_", "title_"));
      var sms = smsParts((title ? title.value + ": " : "") + input.value);
      state.sms = T.sms + ": " + sms.parts + " " + (sms.parts === 1 ? T.one : T.many) + " (" + sms.encoding + ")";
      text += " · " + state.sms;
    }
    out.textContent = text;
    say(input, state, announce);
  }

  function preview() {
    var first = form.querySelector("[data-count=title]");
    var body = form.querySelector("[data-count=body]");
    var t = document.getElementById("push-title"), b = document.getElementById("push-body");
    var lt = PUSH_LIMIT.title, lb = PUSH_LIMIT.body;
    if (t && first) t.textContent = first.value.length > lt ? first.value.slice(0, lt - 1) + "…" : first.value;
    if (b && body) b.textContent = body.value.length > lb ? body.value.slice(0, lb - 1) + "…" : body.value;
  }

  // A title counts into its body's SMS, and the browser may fill fields in after this script
  // ran (back button, restored form): recount everything on any edit and when the page shows.
  function update(announce) {
    form.querySelectorAll("[data-count]").forEach(function (input) { count(input, announce); });
    preview();
  }
  function edited(event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-count")) update(true);
  }
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  window.addEventListener("pageshow", function () { update(false); });
  update(false);

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // Drawing the area: one polygon or one circle; the textarea holds what is sent.
  var el = document.getElementById("draw-map");
  var drawn = document.getElementById("drawn");
  var map = null, layer = null;
  function changed() { form.dispatchEvent(new Event("change", { bubbles: true })); }
  function showMap() {
    if (map || !el || !window.L || !L.Control.Draw) return;
    el.hidden = false;
    var centre = el.getAttribute("data-center").split(",").map(parseFloat);
    map = L.map(el, { keyboard: true }).setView(centre, 13);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    else el.classList.add("plain");
    var items = new L.FeatureGroup().addTo(map);
    map.addControl(new L.Control.Draw({
      edit: { featureGroup: items, remove: true },
      draw: { polyline: false, rectangle: false, marker: false, circlemarker: false, polygon: true, circle: true }
    }));
    map.on(L.Draw.Event.CREATED, function (e) {
      items.clearLayers();
      layer = e.layer;
      items.addLayer(layer);
      if (e.layerType === "circle") {
        var c = layer.getLatLng();
        drawn.value = JSON.stringify({ circle: { lat: +c.lat.toFixed(6), lon: +c.lng.toFixed(6), radius_m: Math.round(layer.getRadius()) } });
      } else {
        drawn.value = JSON.stringify(layer.toGeoJSON().geometry);
      }
      document.getElementById("target-drawn").checked = true;
      changed();
    });
    map.on(L.Draw.Event.DELETED, function () { drawn.value = ""; changed(); });
  }
  form.querySelectorAll("input[name=target]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.value === "drawn") showMap(); });
  });
  if (document.getElementById("target-drawn").checked) showMap();
})();
