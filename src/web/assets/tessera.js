// The one script of the signed-in pages, served at /assets/tessera.js (no inline scripts: the
// strict Content-Security-Policy holds).
// Copy buttons: <button data-copy-target="ID" hidden> copies the value of #ID. The buttons stay
// hidden without JavaScript; where the Clipboard API is unavailable the text is selected instead.
// An <input type="date" data-selects="ID"> checks the radio #ID when a date is picked.
// A <select data-token-policy> of workspaces: the chosen option's data-allowed-scopes,
// data-max-days and data-max-date switch off the scopes and expiry presets its token policy
// forbids (the server refuses them anyway).
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
  document.querySelectorAll('select[data-token-policy]').forEach(function (select) {
    var form = select.form;
    if (!form) { return; }
    function apply() {
      var option = select.options[select.selectedIndex];
      if (!option) { return; }
      var allowed = (option.getAttribute('data-allowed-scopes') || '').split(' ');
      var maxDays = Number(option.getAttribute('data-max-days'));
      form.querySelectorAll('input[name="scopes"]').forEach(function (box) {
        box.disabled = allowed.indexOf(box.value) < 0;
        if (box.disabled) { box.checked = false; }
      });
      var lost = false;
      var best = null;
      form.querySelectorAll('input[name="expires_in"]').forEach(function (radio) {
        if (radio.value === 'custom') { return; }
        radio.disabled = Number(radio.value) > maxDays;
        if (radio.disabled && radio.checked) { radio.checked = false; lost = true; }
        if (!radio.disabled) { best = radio; }
      });
      if (lost) {
        var custom = document.getElementById('expires-custom');
        if (best) { best.checked = true; } else if (custom) { custom.checked = true; }
      }
      var date = document.getElementById('expires-on');
      if (date) { date.max = option.getAttribute('data-max-date') || date.max; }
      var shown = document.getElementById('expires-max-days');
      if (shown) { shown.textContent = String(maxDays); }
    }
    select.addEventListener('change', apply);
  });
})();
