// apoportal: progressive enhancement only. Everything works without this file.
(function () {
  "use strict";

  // A form's error summary takes the focus, so the keyboard starts at what went wrong.
  var problem = document.querySelector("[data-focus-on-load]");
  if (problem) problem.focus();

  // "Meinen Standort verwenden": the browser's position becomes lat/lon of the GET form.
  var form = document.querySelector("form.search");
  var button = document.querySelector("[data-geo=button]");
  if (form && button && "geolocation" in navigator) {
    var lat = form.querySelector("[data-geo=lat]");
    var lon = form.querySelector("[data-geo=lon]");
    var status = form.querySelector("[data-geo=status]");
    var q = form.querySelector("#q");
    button.hidden = false;
    q.addEventListener("input", function () { lat.value = ""; lon.value = ""; });
    button.addEventListener("click", function () {
      status.textContent = status.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(5);
        lon.value = pos.coords.longitude.toFixed(5);
        q.value = "";
        form.submit();
      }, function () {
        status.textContent = status.dataset.unavailable;
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
    });
  }

  // The national service's state on an open page follows /api/v1/status; the element is a
  // polite live region (role=status), so a change is said without interrupting.
  var live = document.querySelector("[data-live-status]");
  if (live && window.fetch) {
    var words = live.querySelector("[data-live-text]") || live;
    window.setInterval(function () {
      window.fetch("/api/v1/status", { headers: { Accept: "application/json" }, cache: "no-cache" })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (s) {
          var state = s && s.national_service && s.national_service.state;
          var text = state && live.getAttribute("data-text-" + state);
          if (!text || state === live.dataset.state) return;
          live.classList.remove(live.dataset.state);
          live.classList.add(state);
          live.dataset.state = state;
          words.textContent = text;
        })
        .catch(function () { /* the next round asks again */ });
    }, parseInt(live.dataset.liveEvery, 10) * 1000);
  }

  // The map: drawn only when Leaflet loaded; the list above stays the source of truth.
  var el = document.getElementById("map");
  if (!el) return;
  if (!window.L || !el.dataset.tiles) { el.hidden = true; return; }
  var center = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = window.L.map(el, { scrollWheelZoom: false }).setView(center, 13);
  window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  // The search's origin, where the results are counted from.
  if (el.dataset.origin === "true") {
    window.L.circleMarker(center, { radius: 7, color: "#0b4f9c", weight: 3, fillColor: "#fff", fillOpacity: 1,
      interactive: false, className: "origin" }).addTo(map);
  }
  // One numbered pin a pharmacy, numbered as the list is, so list and map read alike.
  var points = [];
  var list = document.querySelector("ol.cards");
  var first = list ? parseInt(list.getAttribute("start") || "1", 10) : 1;
  document.querySelectorAll("[data-testid=pharmacy]").forEach(function (card, i) {
    var p = [parseFloat(card.dataset.lat), parseFloat(card.dataset.lon)];
    var active = card.classList.contains("active");
    var n = String(first + i);
    var label = document.createElement("a");
    label.textContent = n + ". " + card.dataset.name;
    var name = card.querySelector("[data-testid=pharmacy-link]");
    label.href = name ? name.getAttribute("href") : window.location.pathname; // in the page's language
    var icon = window.L.divIcon({ className: "pin" + (active ? " active" : ""), html: n, iconSize: [26, 26] });
    window.L.marker(p, { icon: icon, title: n + ". " + card.dataset.name, alt: n + ". " + card.dataset.name })
      .bindPopup(label).addTo(map);
    points.push(p);
  });
  if (points.length > 1) map.fitBounds(points.concat([center]), { padding: [20, 20], maxZoom: 15 });
  // The list is the page; the map can be put away.
  var toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "map-toggle";
  toggle.setAttribute("aria-controls", "map");
  toggle.setAttribute("aria-expanded", "true");
  toggle.dataset.testid = "map-toggle";
  toggle.textContent = el.dataset.hide;
  toggle.addEventListener("click", function () {
    el.hidden = !el.hidden;
    toggle.setAttribute("aria-expanded", String(!el.hidden));
    toggle.textContent = el.hidden ? el.dataset.show : el.dataset.hide;
    if (!el.hidden) map.invalidateSize();
  });
  el.parentNode.insertBefore(toggle, el);
})();
