/* Amparo pages: tell the server when revealed media stops (page hidden or left) or is shown
   again, for the daily exposure budget the server counts; keep videos muted.
   No inline script anywhere (the Content-Security-Policy forbids it); nothing is fetched
   from outside this server. */
(function () {
  "use strict";
  var BEAT_MS = 30000;
  var MAX_SECONDS = 30;
  var last = Date.now();

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function somethingRevealed() {
    return document.querySelectorAll(".revealed").length > 0;
  }

  function showState(state) {
    if (!state) { return; }
    var banner = document.querySelector(".exposure-warning");
    if (state.warn && !banner) {
      banner = document.createElement("div");
      banner.className = "exposure-warning";
      banner.setAttribute("role", "status");
      document.body.insertBefore(banner, document.querySelector("main"));
    }
    if (state.warn) {
      banner.textContent = "You have viewed revealed media for " + Math.floor(state.seconds / 60) +
        " min of your " + Math.floor(state.budget / 60) + " min today. Consider a break.";
    }
    if (state.exhausted) { window.location.reload(); }
  }

  function beat(leaving) {
    var now = Date.now();
    var seconds = Math.max(0, Math.min(MAX_SECONDS, Math.round((now - last) / 1000)));
    last = now;
    if (!somethingRevealed()) { return; }
    if (!leaving && seconds === 0) { seconds = 1; }
    fetch("/exposure/heartbeat", {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ seconds: seconds, leaving: leaving })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(leaving ? null : showState).catch(function () { /* counted next time */ });
  }

  function quietVideos() {
    document.querySelectorAll("video").forEach(function (video) {
      video.muted = true;
      video.autoplay = false;  /* starts muted; the user may unmute it on purpose */
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    quietVideos();
    setInterval(function () {
      if (document.visibilityState === "visible") { beat(false); } else { last = Date.now(); }
    }, BEAT_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { beat(true); } else { beat(false); }
    });
    window.addEventListener("pagehide", function () { beat(true); });
  });
})();
