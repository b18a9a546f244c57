// The town's messages on any website, with one tag:
//   <script src="https://…/musterstadt/widget.js" data-lang="de" data-topic="…" data-limit="5" async></script>
// Puts a frame of /musterstadt/widget right after the tag and keeps it as tall as its content,
// from the height the framed page posts (web/widget-frame.js). Plain ES5, no dependencies, no
// globals; styles are set through the DOM, which the embedding site's CSP allows.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.URL) return;
  var src = new URL(script.src, document.baseURI);
  var base = src.href.replace(/widget\.js(?:[?#].*)?$/, "");
  var query = [];
  ["lang", "topic", "limit"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) query.push(name + "=" + encodeURIComponent(value));
  });
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "de").slice(0, 2);
  var frame = document.createElement("iframe");
  frame.src = base + "widget" + (query.length ? "?" + query.join("&") : "");
  // Replaced by the widget's own title (translated by the server) once it has loaded.
  frame.title = script.getAttribute("data-title") ||
    (lang === "en" ? "Current messages" : "Aktuelle Mitteilungen");
  frame.className = "stadtbote-widget";
  frame.setAttribute("loading", "lazy");
  // The frame may run its own script and open messages in a new tab (unsandboxed), never
  // navigate the site's page or open dialogs on it.
  frame.setAttribute(
    "sandbox",
    "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"
  );
  frame.style.display = "block";
  frame.style.width = "100%";
  frame.style.height = "16rem";
  frame.style.border = "0";
  script.parentNode.insertBefore(frame, script.nextSibling);

  window.addEventListener("message", function (event) {
    // Only our own frame, from the widget's origin, may resize it.
    if (event.origin !== src.origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== "stadtbote-widget") return;
    var height = Number(data.height);
    if (isFinite(height) && height > 0 && height < 20000) {
      frame.style.height = Math.ceil(height) + "px";
    }
    if (typeof data.title === "string" && data.title) frame.title = data.title.slice(0, 200);
  });
})();
