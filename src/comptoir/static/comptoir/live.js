// comptoir: live updates over the /ws/live/ websocket (comptoir.realtime). No build step.
//
// The inbox re-fetches its rows and counts when a conversation changes (at most once a
// second, and every minute anyway so that due times stay current); a conversation page
// shows a bar when someone else changed that conversation. The socket reconnects with
// backoff, and a page catches up after a reconnection, since events sent meanwhile are lost.
(function () {
  "use strict";
  const script = document.currentScript;
  const text = {
    activity: script?.dataset.activity || "This conversation has new activity.",
    inbox: script?.dataset.inboxActivity || "New activity in the inbox.",
    reload: script?.dataset.reload || "Reload",
  };
  const MIN_INTERVAL_MS = 1000;   // refreshes of the inbox, at most one a second
  const PERIODIC_MS = 60000;      // and one a minute without events: due times move on
  const MAX_BACKOFF_MS = 30000;

  const page = () => document.body.dataset.page;
  const conversationId = () => {
    const match = location.pathname.match(/^\/c\/(\d+)\/$/);
    return match ? Number(match[1]) : null;
  };
  const versionEl = document.querySelector("[data-conversation-version]");
  const renderedVersion = versionEl ? Number(versionEl.dataset.conversationVersion) : null;

  // --- the bar: "new activity — reload" ---------------------------------------------------
  function showBar(message, onClick) {
    let bar = document.getElementById("live-bar");
    if (!bar) {
      bar = document.createElement("ul");
      bar.id = "live-bar";
      bar.className = "flash";
      bar.setAttribute("role", "status");
      bar.style.cssText = "position: sticky; top: 0; z-index: 10;";
      bar.innerHTML = '<li class="flash-warning"><span></span> <button type="button" class="linklike"></button></li>';
      document.querySelector("main")?.before(bar);
    }
    bar.querySelector("span").textContent = message;
    const button = bar.querySelector("button");
    button.textContent = text.reload;
    button.onclick = onClick;
  }

  // --- the inbox --------------------------------------------------------------------------
  let extended = false;   // "More conversations" was used: don't pull the list from under them
  let lastRefresh = 0;
  let timer = null;
  let inFlight = false;
  let dirty = false;      // an event came while the tab was hidden

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.closest && event.detail.elt.closest("tr.more")) extended = true;
  });

  function refreshCounts() {
    const nav = document.querySelector("nav.views[hx-get]");
    if (nav && window.htmx) htmx.ajax("GET", nav.getAttribute("hx-get"), { source: nav, target: nav, swap: "none" });
  }

  // ``changed``: a conversation changed (refresh the counts too); else the minute's tick
  async function refreshInbox(changed) {
    timer = null;
    if (document.hidden) { dirty = dirty || changed; return; }
    if (inFlight) { schedule(changed); return; }
    inFlight = true;
    lastRefresh = Date.now();
    try {
      if (changed) refreshCounts();
      if (extended) {
        if (changed) showBar(text.inbox, () => location.reload());
        return;
      }
      const rows = document.getElementById("rows");
      if (!rows || !window.htmx) return;
      const all = () => Array.from(rows.querySelectorAll("tr.row"));
      const selected = all().findIndex((row) => row.classList.contains("selected"));
      await htmx.ajax("GET", location.href, { source: rows, target: rows, swap: "innerHTML" });
      // keyboard selection (app.js) is by position: keep it where it was
      if (selected >= 0) all()[Math.min(selected, all().length - 1)]?.classList.add("selected");
    } catch (error) {
      // the next event or the minute's tick tries again
    } finally {
      inFlight = false;
    }
  }

  let pendingChange = false;
  function schedule(changed) {
    pendingChange = pendingChange || changed;
    if (timer) return;
    const wait = Math.max(0, lastRefresh + MIN_INTERVAL_MS - Date.now());
    timer = setTimeout(() => {
      const change = pendingChange;
      pendingChange = false;
      refreshInbox(change);
    }, wait);
  }

  // --- events -----------------------------------------------------------------------------
  function onEvent(event) {
    if (event.type === "advocate.asked") {  // a teammate asks me for help (comptoir.teamwork)
      const asked = event.data || {};
      showBar(asked.message || "", () => location.assign(asked.url));
      document.querySelector("#live-bar button").textContent = asked.action || text.reload;
      return;
    }
    if (event.type === "reply.first") {  // a teammate's first ever reply (comptoir.teamwork)
      const cheer = event.data || {};
      showBar(cheer.message || "", () => location.assign(cheer.url));
      document.querySelector("#live-bar button").textContent = cheer.action || text.reload;
      return;
    }
    if (event.type !== "conversation.changed") return;
    const data = event.data || {};
    if (page() === "inbox") schedule(true);
    else if (page() === "conversation" && data.id === conversationId()
             && (renderedVersion === null || data.version > renderedVersion)) {
      showBar(text.activity, () => location.reload());
    }
  }

  function catchUp() {
    if (page() === "inbox") schedule(true);
    // a conversation page can't tell what it missed without its version: say nothing
  }

  // --- the socket -------------------------------------------------------------------------
  let backoff = 1000;
  let connectedOnce = false;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/live/`);
    let openedAt = 0;
    socket.onopen = () => {
      // the server joined its group before accepting: events from now on arrive
      document.documentElement.dataset.live = "connected";
      openedAt = Date.now();
      if (connectedOnce) catchUp();
      connectedOnce = true;
    };
    socket.onmessage = (message) => {
      try { onEvent(JSON.parse(message.data)); } catch (error) { /* not for us */ }
    };
    socket.onclose = () => {
      document.documentElement.dataset.live = "reconnecting";
      // a connection that lived a while resets the backoff (the server closes hourly)
      if (openedAt && Date.now() - openedAt > 10000) backoff = 1000;
      const delay = backoff / 2 + Math.random() * backoff / 2;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      setTimeout(connect, delay);
    };
  }

  function start() {
    if (!("WebSocket" in window)) return;
    connect();
    if (page() === "inbox") {
      setInterval(() => { if (Date.now() - lastRefresh >= PERIODIC_MS) schedule(false); }, PERIODIC_MS / 4);
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden && dirty) { dirty = false; schedule(true); }
      });
      lastRefresh = Date.now();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
