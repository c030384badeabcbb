// Apply page (issue #16): a box above each long office list narrows it as the applicant types
// a place (成都, 渝北, Chengdu). Progressive enhancement: without JavaScript the grouped list
// works as it is. The chosen office changes only when the typed words hide it.
(function () {
  "use strict";
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  each(document.querySelectorAll("select[data-office-filter]"), function (select) {
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
          var hit = !words || text.indexOf(words) !== -1 || label.indexOf(words) !== -1;
          option.hidden = !hit;
          if (hit) { any = true; if (!first) { first = option; } }
        });
        group.hidden = !any;
      });
      var chosen = select.options[select.selectedIndex];
      if (words && first && (!chosen || !chosen.value || chosen.hidden)) {
        select.value = first.value;
      }
    });
  });
})();
