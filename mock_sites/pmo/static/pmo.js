/* PMO's form behaviour: the Patient-ID format marker and the postnummer autofill.
 * The server checks the Patient-ID again; this only shows the person what is wrong. */
(function () {
  "use strict";

  function luhnValid(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = digits.charCodeAt(digits.length - 1 - i) - 48;
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function patientIdValid(value, reserv) {
    if (/^(18|19|20)[0-9]{10}$/.test(value)) { return luhnValid(value.slice(2)); }
    return reserv.test(value);
  }

  var pid = document.querySelector("[data-patient-id]");
  if (pid) {
    var reserv = new RegExp(pid.getAttribute("data-reserv-pattern"));
    var label = pid.getAttribute("data-marker-label");
    var check = function () {
      var marker = pid.parentNode.querySelector(".format-marker");
      var wrong = pid.value !== "" && !patientIdValid(pid.value, reserv);
      if (wrong) {
        if (!marker) {
          marker = document.createElement("span");
          marker.className = "format-marker";
          marker.setAttribute("role", "img");
          marker.setAttribute("aria-label", label);
          marker.title = label;
          marker.textContent = "!";
          pid.parentNode.insertBefore(marker, pid);
        }
        pid.setAttribute("aria-invalid", "true");
      } else {
        if (marker) { marker.remove(); }
        pid.setAttribute("aria-invalid", "false");
      }
    };
    pid.addEventListener("input", check);
    pid.addEventListener("blur", check);
    if (pid.value !== "") { check(); }
  }

  var source = document.querySelector("[data-autofill-source]");
  var tableElement = document.getElementById("postnummer-tabell");
  if (source && tableElement) {
    var table = JSON.parse(tableElement.textContent);
    var autofill = function () {
      var prefix = /^[0-9]{3}/.exec(source.value.replace(/\s/g, ""));
      var hit = prefix && Object.prototype.hasOwnProperty.call(table, prefix[0]) ? table[prefix[0]] : null;
      if (!hit) { return; }
      ["ort", "kommun", "lan", "land"].forEach(function (key) {
        var target = document.querySelector('[data-autofill="' + key + '"]');
        if (target) { target.value = hit[key]; }
      });
    };
    source.addEventListener("change", autofill);
    source.addEventListener("blur", autofill);
  }
})();
