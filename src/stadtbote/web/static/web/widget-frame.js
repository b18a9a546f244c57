// Inside the widget's frame: tell the embedding page (web/widget.js) how tall the content is,
// and its title, whenever either may have changed. Neither is secret, and the embedding site
// is not known here, hence "*"; the embedding script checks that the message comes from us.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = -1;
  function post() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage(
      { type: "stadtbote-widget", height: height, title: document.title },
      "*"
    );
  }
  if ("ResizeObserver" in window) new ResizeObserver(post).observe(document.body);
  window.addEventListener("load", post);
  window.addEventListener("resize", post);
  post();
})();
