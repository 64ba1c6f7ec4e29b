(function () {
  "use strict";
  var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll(".case[data-verdict]"));
  var search = document.getElementById("search");
  var active = new Set();
  function apply() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (r) {
      var byVerdict = active.size === 0 || active.has(r.getAttribute("data-verdict"));
      var byText = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
      r.hidden = !(byVerdict && byText);
      if (!r.hidden) shown++;
    });
    buttons.forEach(function (b) {
      var f = b.getAttribute("data-filter");
      b.setAttribute("aria-pressed", String(f === "all" ? active.size === 0 : active.has(f)));
    });
    document.getElementById("shown-count").textContent = String(shown);
    document.body.setAttribute("data-active-filter", Array.from(active).sort().join(",") || "all");
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      var f = b.getAttribute("data-filter");
      if (f === "all") active.clear();
      else if (active.has(f)) active.delete(f);
      else active.add(f);
      apply();
    });
  });
  search.addEventListener("input", apply);
  document.getElementById("expand-all").addEventListener("click", function () {
    var open = !rows.every(function (r) { return r.open; });
    rows.forEach(function (r) { r.open = open; });
  });
  // Shareable views and a test hook: #filter=fail,warn&q=text applies them exactly as clicks.
  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var f = params.get("filter");
    if (f) {
      f.split(",").forEach(function (v) {
        buttons.forEach(function (b) { if (b.getAttribute("data-filter") === v) b.click(); });
      });
    }
    var q = params.get("q");
    if (q !== null) { search.value = q; apply(); }
  }
  apply();
  fromHash();
})();
