/* Plexus: the "Mina favoriter" button shows and hides the favourites panel. */
(function () {
  "use strict";
  document.querySelectorAll("[data-toggle]").forEach(function (button) {
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      panel.hidden = open;
    });
  });
})();
