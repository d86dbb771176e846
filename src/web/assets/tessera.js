// The one script of the signed-in pages, served at /assets/tessera.js (no inline scripts: the
// strict Content-Security-Policy holds).
// Copy buttons: <button data-copy-target="ID" hidden> copies the value of #ID. The buttons stay
// hidden without JavaScript; where the Clipboard API is unavailable the text is selected instead.
// An <input type="date" data-selects="ID"> checks the radio #ID when a date is picked.
'use strict';
(function () {
  function status(id, text) {
    var el = document.querySelector('[data-copy-status="' + id + '"]');
    if (el) { el.textContent = text; }
  }
  document.querySelectorAll('button[data-copy-target]').forEach(function (button) {
    var id = button.getAttribute('data-copy-target');
    var field = document.getElementById(id);
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      var value = field.value;
      var fallback = function () {
        field.focus();
        field.select();
        status(id, 'Press Ctrl+C (or \u2318C) to copy the selected token.');
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(function () {
          button.textContent = 'Copied';
          status(id, 'Copied to the clipboard.');
        }, fallback);
      } else {
        fallback();
      }
    });
  });
  document.querySelectorAll('input[data-selects]').forEach(function (input) {
    var radio = document.getElementById(input.getAttribute('data-selects'));
    if (!radio) { return; }
    input.addEventListener('input', function () { if (input.value) { radio.checked = true; } });
  });
})();
