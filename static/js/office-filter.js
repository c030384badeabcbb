// Apply page (issue #16): a box above each long office list narrows it as the applicant types
// a place (成都, 渝北, Chengdu). Progressive enhancement: without JavaScript the grouped list
// works as it is. The chosen office changes only when the typed words hide it.
// An office field that follows a region field (data-follows="<id of the region select>"):
// choosing the region chooses that region's office, and choosing an office fills an empty
// region. The script may be included more than once (each office field includes it); each
// list is set up once.
(function () {
  "use strict";
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function addFilter(select) {
    if (select.options.length < 8) { return; }
    var box = document.createElement("input");
    box.type = "search";
    box.className = "input office-filter";
    box.id = select.id + "-filter";
    box.placeholder = select.getAttribute("data-office-filter");
    box.setAttribute("aria-label", select.getAttribute("data-office-filter"));
    box.setAttribute("aria-controls", select.id);
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase();
      var first = null;
      each(select.querySelectorAll("optgroup"), function (group) {
        var any = false;
        var label = (group.label || "").toLowerCase();
        each(group.querySelectorAll("option"), function (option) {
          var text = option.textContent.toLowerCase();
          var code = (option.value || "").toLowerCase();
          var hit = !words || text.indexOf(words) !== -1 || label.indexOf(words) !== -1 ||
            code.indexOf(words) === 0;
          option.hidden = !hit;
          if (hit) { any = true; if (!first) { first = option; } }
        });
        group.hidden = !any;
      });
      var chosen = select.options[select.selectedIndex];
      if (words && first && (!chosen || !chosen.value || chosen.hidden)) {
        select.value = first.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  }

  function follow(select) {
    var region = document.getElementById(select.getAttribute("data-follows") || "");
    if (!region) { return; }
    region.addEventListener("change", function () {
      var chosen = select.options[select.selectedIndex];
      if (!region.value || (chosen && chosen.getAttribute("data-region") === region.value)) {
        return;
      }
      var match = select.querySelector('option[data-region="' + region.value + '"]');
      if (match) { select.value = match.value; }
    });
    select.addEventListener("change", function () {
      var chosen = select.options[select.selectedIndex];
      var place = chosen ? chosen.getAttribute("data-region") : null;
      if (!region.value && place && region.querySelector('option[value="' + place + '"]')) {
        region.value = place;
      }
    });
  }

  each(document.querySelectorAll("select[data-office-filter]"), function (select) {
    if (select.getAttribute("data-office-ready")) { return; }
    select.setAttribute("data-office-ready", "1");
    addFilter(select);
    follow(select);
  });
})();
