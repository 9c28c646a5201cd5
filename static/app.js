// apoportal: progressive enhancement only. Everything works without this file.
(function () {
  "use strict";

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
      status.textContent = "Standort wird ermittelt …";
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(5);
        lon.value = pos.coords.longitude.toFixed(5);
        q.value = "";
        form.submit();
      }, function () {
        status.textContent = "Ihr Standort ist nicht verfügbar. Bitte geben Sie PLZ oder Ort ein.";
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
    });
  }

  // The map: drawn only when Leaflet loaded; the list above stays the source of truth.
  var el = document.getElementById("map");
  if (!el) return;
  if (!window.L || !el.dataset.tiles) { el.hidden = true; return; }
  var center = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = window.L.map(el, { scrollWheelZoom: false }).setView(center, 13);
  window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap-Mitwirkende" }).addTo(map);
  var points = [];
  document.querySelectorAll("[data-testid=pharmacy]").forEach(function (card) {
    var p = [parseFloat(card.dataset.lat), parseFloat(card.dataset.lon)];
    var active = card.classList.contains("active");
    var label = document.createElement("a");
    label.textContent = card.dataset.name;
    label.href = "/apotheke/" + encodeURIComponent(card.dataset.id);
    window.L.circleMarker(p, { radius: 8, color: active ? "#1b6e20" : "#4a4a4a", fillOpacity: 0.8 })
      .bindPopup(label).addTo(map);
    points.push(p);
  });
  if (points.length > 1) map.fitBounds(points, { padding: [20, 20], maxZoom: 15 });
})();
