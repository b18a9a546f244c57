/* Stadtbote service worker (release {{ release }}), scope {{ base }}. Shows push messages, keeps the inbox and opened messages for offline
   reading, and replaces itself cleanly when a new release is deployed. */
"use strict";
const CONFIG = {{ config_json|safe }};
const SHELL = "sb-" + CONFIG.slug + "-shell-" + CONFIG.release;
const PAGES = "sb-" + CONFIG.slug + "-pages";
const PUSHED = "sb-" + CONFIG.slug + "-pushed";
const KEEP_PUSHED = 50;
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(CONFIG.shell)).then(() => {
      // The first worker takes over at once; later ones wait for the page's "update" button.
      if (!self.registration.active) return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(
      names
        .filter((n) => n.startsWith("sb-" + CONFIG.slug + "-shell-") && n !== SHELL)
        .map((n) => caches.delete(n))
    )).then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

function cacheable(url) {
  const path = url.pathname;
  if (!path.startsWith(CONFIG.base)) return false;
  const rest = path.slice(CONFIG.base.length);
  // Personal forms (settings, export, erasure) are never stored on the device.
  return rest === "" || rest === "inbox" || rest.startsWith("messages/");
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && cacheable(new URL(request.url))) await cache.put(stripQuery(request), response.clone());
    return response;
  } catch (e) {
    const hit = await cache.match(stripQuery(request));
    if (hit) return hit;
    if (request.mode === "navigate") {
      const offline = await caches.match(CONFIG.base + "offline");
      if (offline) return offline;
    }
    throw e;
  }
}

function stripQuery(request) {
  const url = new URL(request.url);
  return url.origin + url.pathname;
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(PAGES);
  const hit = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  }).catch(() => hit);
  return hit || fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (CONFIG.shell.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
  } else if (url.pathname === CONFIG.areas) {
    event.respondWith(staleWhileRevalidate(request));
  } else if (request.mode === "navigate" || cacheable(url)) {
    event.respondWith(networkFirst(request));
  }
});

const SEVERITY_RANK = { info: 0, minor: 1, moderate: 2, severe: 3, extreme: 4 };

// An update takes the place of the notification it updates. That is quiet only while the danger
// did not grow: a warning raised (say moderate to severe), or any severe or extreme one, alerts
// like a new warning. Without the earlier severity we cannot tell, so we alert.
function quietUpdate(data, urgent) {
  if (data.kind !== "update" || urgent) return false;
  const before = SEVERITY_RANK[data.previous_severity];
  const now = SEVERITY_RANK[data.severity];
  return before !== undefined && now !== undefined && now <= before;
}

function severityLabel(data) {
  const labels = CONFIG.labels[data.lang] || CONFIG.labels[CONFIG.lang];
  return labels[data.severity] || "";
}

async function keepPushed(data) {
  const cache = await caches.open(PUSHED);
  await cache.put(CONFIG.base + "_pushed/" + data.id, new Response(JSON.stringify(data), {
    headers: { "Content-Type": "application/json" }
  }));
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - KEEP_PUSHED))) await cache.delete(old);
}

async function keepPage(url) {
  // Fetch the message page now, so it can be read even if the phone is offline later.
  try {
    const response = await withTimeout(fetch(url, { credentials: "same-origin" }), NETWORK_TIMEOUT_MS);
    if (response.ok) await (await caches.open(PAGES)).put(stripQuery(new Request(url)), response);
  } catch (e) { /* offline now: the notification still shows the text */ }
}

async function confirmReceipt(receipt) {
  // Tells the town the message arrived (publish-to-device time, and no SMS fallback needed).
  if (!receipt) return;
  try {
    await withTimeout(fetch(CONFIG.receipts, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ receipt: receipt }),
      credentials: "omit",
      keepalive: true
    }), NETWORK_TIMEOUT_MS);
  } catch (e) { /* offline: the message is shown all the same */ }
}

self.addEventListener("push", (event) => {
  let data;
  try {
    data = event.data ? event.data.json() : null;
  } catch (e) {
    data = null;
  }
  if (!data || !data.id) {
    data = { id: "unknown", title: CONFIG.name, body: event.data ? event.data.text() : "", severity: "info", url: CONFIG.base };
  }
  const label = severityLabel(data);
  const urgent = data.severity === "severe" || data.severity === "extreme";
  const quiet = quietUpdate(data, urgent);
  const path = new URL(data.url || CONFIG.base, self.location.origin);
  const local = self.location.origin + path.pathname;
  const item = Object.assign({}, data, { url: local, received: new Date().toISOString() });
  event.waitUntil(Promise.all([
    self.registration.showNotification(label ? label + ": " + data.title : data.title, {
      body: data.body,
      tag: data.kind === "update" && data.replaces ? data.replaces : data.id,
      // Replacing a notification under the same tag alerts only with renotify.
      renotify: data.kind === "withdrawal" || (data.kind === "update" && !quiet),
      silent: quiet,
      requireInteraction: urgent,
      icon: CONFIG.base + "icon-192.png",
      badge: CONFIG.base + "icon-72.png",
      lang: data.lang || CONFIG.lang,
      timestamp: data.sent ? Date.parse(data.sent) : Date.now(),
      data: { id: data.id, url: local, severity: data.severity, kind: data.kind || "message" }
    }),
    // News about a report the citizen follows is not a town message: no inbox entry.
    data.kind === "case" ? Promise.resolve() : keepPushed(item),
    keepPage(local),
    confirmReceipt(data.receipt),
    self.clients.matchAll({ type: "window" }).then((clients) => {
      if (data.kind !== "case") clients.forEach((c) => c.postMessage({ type: "push", item: item }));
    })
  ]));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || CONFIG.base;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
      for (const c of clients) {
        if (c.url === url && "focus" in c) return c.focus();
      }
      return self.clients.openWindow(url);
    })
  );
});
