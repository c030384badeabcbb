// The main menu on phones (issue 14 item 5): below 480 px the menu folds behind a 菜单/Menu
// button; the citizen's 消息 link (with its unread count) stays in view beside it. Plain JS,
// loaded from the app's own origin (the CSP allows no inline script). Without JavaScript the
// button stays hidden and every entry wraps onto extra rows, as before.
// A refused form's error summary (.error-summary) takes the focus when the page loads, so a
// screen reader reads the errors first and a keyboard user starts from the links to each field.
(function () {
  "use strict";
  var nav = document.querySelector("nav.site-nav");
  var button = nav && nav.querySelector(".nav-toggle");
  var list = button && document.getElementById(button.getAttribute("aria-controls"));
  if (nav && button && list) {
    var set = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    };
    nav.classList.add("nav-collapsible");
    button.hidden = false;
    set(false);
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") &&
          button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
        event.preventDefault();
      }
    });
    // Focus leaving the open menu (Tab past its last entry, a click elsewhere) folds it again.
    nav.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !nav.contains(event.relatedTarget) &&
          button.getAttribute("aria-expanded") === "true" &&
          getComputedStyle(button).display !== "none") {
        set(false);
      }
    });
  }

  // A table wrapper that scrolls sideways (a wide table on a narrow screen) becomes a named
  // region one can reach and scroll with the keyboard; one that fits stays out of the Tab order.
  var wraps = document.querySelectorAll(".table-wrap:not([role])");
  var mark = function () {
    Array.prototype.forEach.call(wraps, function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("aria-label", caption ? caption.textContent.trim() :
          (document.documentElement.lang === "en" ? "Table (scrolls sideways)" : "表格（可左右滚动）"));
        wrap.setAttribute("data-scrolls", "");
      } else if (!scrolls && wrap.hasAttribute("data-scrolls")) {
        ["role", "tabindex", "aria-label", "data-scrolls"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  };
  if (wraps.length) {
    mark();
    window.addEventListener("resize", mark);
  }

  var summary = document.querySelector(".error-summary");
  if (summary) {
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();
    // A link of the summary moves the focus to its field (not only the scroll position).
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      var control = target.matches("input, select, textarea, button") ? target :
        target.querySelector("input:not([type=hidden]), select, textarea");
      if (control) {
        var details = control.closest("details");
        if (details) { details.open = true; }
        event.preventDefault();
        control.focus();
        target.scrollIntoView({block: "center"});
      }
    });
  }
}());
