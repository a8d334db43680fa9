// Progressive enhancement only: every page works without this file.
// 1. [data-tabs]: the in-page list of links becomes keyboard-usable ARIA tabs.
//    The chosen tab travels with the week picker's links ([data-keep-tab]) to other weeks.
// 2. input[data-filter]: filters the rows of a table as you type (static sites have no server search).
// 3. [data-snippet]: a widget's snippet names the widget by its full address, wherever the site is served.
(function () {
  "use strict";

  function enhanceTabs(container) {
    var links = Array.prototype.slice.call(container.querySelectorAll(".tab-list a.tab"));
    var panels = links.map(function (link) { return document.getElementById(link.hash.slice(1)); });
    if (!links.length || panels.indexOf(null) !== -1) { return; }
    var list = container.querySelector(".tab-list");
    list.setAttribute("role", "tablist");
    container.classList.add("tabs-enhanced");
    links.forEach(function (link, index) {
      link.parentNode.setAttribute("role", "presentation");
      link.setAttribute("role", "tab");
      link.id = "tab-" + panels[index].id;
      link.setAttribute("aria-controls", panels[index].id);
      panels[index].setAttribute("role", "tabpanel");
      panels[index].setAttribute("aria-labelledby", link.id);
      panels[index].setAttribute("tabindex", "0");
    });

    function select(index, focus) {
      links.forEach(function (link, i) {
        var active = i === index;
        link.setAttribute("aria-selected", active ? "true" : "false");
        link.setAttribute("tabindex", active ? "0" : "-1");
        panels[i].hidden = !active;
      });
      if (focus) { links[index].focus(); }
      keepTab(links[index].hash);
    }

    links.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        select(index, false);
        history.replaceState(null, "", link.hash);
      });
      link.addEventListener("keydown", function (event) {
        var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: links.length - 1 }[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        next = (next + links.length) % links.length;
        select(next, true);
        history.replaceState(null, "", links[next].hash);
      });
    });
    var start = links.map(function (link) { return link.hash; }).indexOf(location.hash);
    select(start === -1 ? 0 : start, false);
  }

  function keepTab(hash) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-keep-tab] a[href]"), function (link) {
      link.setAttribute("href", link.getAttribute("href").split("#")[0] + hash);
    });
  }

  function enhanceFilter(input) {
    var table = document.querySelector(input.getAttribute("data-filter"));
    var count = document.getElementById("result-count");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function apply() {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (count) { count.textContent = shown + (shown === 1 ? " row" : " rows") + (needle ? " match" : ""); }
    }
    input.addEventListener("input", apply);
    input.form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    var query = new URLSearchParams(location.search).get("q");
    if (query) { input.value = query; }
    apply();
  }

  function absoluteSnippet(code) {
    code.textContent = code.textContent.replace(/src="([^"]*)"/, function (whole, src) {
      return 'src="' + new URL(src, location.href).href + '"';
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-tabs]"), enhanceTabs);
  Array.prototype.forEach.call(document.querySelectorAll("[data-snippet]"), absoluteSnippet);
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), enhanceFilter);
}());
