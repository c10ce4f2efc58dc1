// SMN admin: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Ask before dangerous actions (forms with data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Copy a secret to the clipboard.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var text = document.getElementById(button.getAttribute("data-copy")).textContent.trim();
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 1500);
        });
      });
    });

    // Selects that submit their form on change (filters).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // The builder's model select reloads the page with that model's live fields.
    document.querySelectorAll("select[data-intent-on-change]").forEach(function (select) {
      select.addEventListener("change", function () {
        var intent = document.createElement("input");
        intent.type = "hidden"; intent.name = "intent"; intent.value = select.getAttribute("data-intent-on-change");
        select.form.appendChild(intent);
        select.form.noValidate = true;
        select.form.submit();
      });
    });

    // Filter the builder's field list as you type.
    document.querySelectorAll("input[data-filter]").forEach(function (input) {
      var rows = document.querySelectorAll(input.getAttribute("data-filter"));
      input.addEventListener("input", function () {
        var needle = input.value.toLowerCase();
        rows.forEach(function (row) { row.hidden = needle && row.textContent.toLowerCase().indexOf(needle) < 0; });
      });
    });

    // Highlight ticked fields; ticking one fills in its partner-facing name.
    document.querySelectorAll("#fields input[type=checkbox]").forEach(function (box) {
      box.addEventListener("change", function () {
        var row = box.closest("tr");
        row.classList.toggle("on", box.checked);
        var name = row.querySelector("input[name^='name:']");
        if (box.checked && name && !name.value) { name.value = box.value; }
      });
    });
  });
})();
