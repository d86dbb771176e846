// Styles and the one script of the signed-in pages (tokens, admin), served from /assets like the
// base stylesheet: no inline scripts or styles, so the strict Content-Security-Policy holds.

export const PAGES_STYLESHEET = `
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#1d2330;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.top{flex-wrap:wrap;gap:.5rem}
.nav{display:flex;gap:1rem;flex-wrap:wrap;flex:1 1 auto;margin-left:1.5rem}
.nav a{padding:.25rem 0;border-bottom:2px solid transparent}
.nav a[aria-current="page"]{border-bottom-color:#7aa7ff}
.top button:focus,.top a:focus{outline-color:#fff}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
h2:first-of-type{margin-top:.5rem}
a{color:#2457d6}
a.button{display:inline-block;margin-top:1rem;padding:.6rem 1.1rem;border-radius:6px;background:#2457d6;color:#fff;text-decoration:none}
a.button.secondary,button.secondary{background:#e4e7ed;color:#1d2330}
button.danger{background:#b42318}
button.small{margin:0;padding:.35rem .7rem;font-size:.9rem}
button:hover{filter:brightness(1.08)}
.row-actions{display:flex;gap:.4rem;flex-wrap:wrap}
.row-actions form{margin:0}
fieldset{border:1px solid #d5dae3;border-radius:6px;margin:1rem 0 0;padding:.5rem .9rem .9rem}
legend{font-weight:600;padding:0 .3rem}
.check{display:grid;grid-template-columns:auto 1fr;column-gap:.6rem;align-items:start;margin:.55rem 0}
.check input{width:auto;margin:.3rem 0 0}
.check label{margin:0;font-weight:600}
.check .hint{grid-column:2;margin:0}
label.sub{margin-top:.5rem;font-weight:400}
textarea{width:100%;min-height:5rem;padding:.6rem;border:1px solid #b8bfcc;border-radius:6px;font:inherit}
textarea:focus{outline:3px solid #7aa7ff;outline-offset:1px}
.notice{background:#e8f1fd;color:#17345f;padding:.6rem;border-radius:6px}
.notice.warn{background:#fff4e0;color:#6b4300}
.secret{border:2px solid #2457d6}
.secret .warning{background:#fff4e0;color:#6b4300;padding:.6rem;border-radius:6px}
.copy-row{display:flex;gap:.5rem;align-items:stretch}
.copy-row input{flex:1 1 auto;min-width:0}
.copy-row button{margin:0;flex:0 0 auto}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
input.mono{font-size:.95rem}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;margin:.5rem 0 1rem;font-size:.95rem}
th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid #e4e7ed;vertical-align:top}
th{font-size:.85rem;color:#5b6475;font-weight:600}
.state{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85rem;background:#e4e7ed}
.state-active{background:#dff5e3;color:#1d5b2a}
.state-expired{background:#fff4e0;color:#6b4300}
.state-revoked{background:#fde8e8;color:#8a1c1c}
.empty{color:#5b6475}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0 0 1rem}
.facts dt{font-weight:600}.facts dd{margin:0;overflow-wrap:anywhere}
.links li{margin:.5rem 0}
.pager{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.filter{display:flex;gap:.5rem;align-items:end;flex-wrap:wrap}
.filter label{margin-top:0}.filter select{width:auto}.filter button{margin-top:0}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:640px){
  main{padding:.5rem}
  .card{padding:1rem;margin:.5rem auto}
  .nav{margin-left:0;order:3;flex-basis:100%}
  table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
  table.stack tr{border:1px solid #e4e7ed;border-radius:6px;margin:0 0 .75rem;padding:.25rem .5rem}
  table.stack td{border:0;padding:.3rem 0;display:grid;grid-template-columns:7.5rem 1fr;gap:.5rem}
  table.stack td::before{content:attr(data-label);font-weight:600;color:#5b6475}
  table.stack td>*{justify-self:start}
  input.mono{font-size:.8rem}
  .copy-row{flex-direction:column}
  button,a.button{min-height:44px}
}
`;

// Copy buttons: <button data-copy-target="ID" hidden> copies the value of #ID. The buttons stay
// hidden without JavaScript; where the Clipboard API is unavailable the text is selected instead.
// An <input type="date" data-selects="ID"> checks the radio #ID when a date is picked.
export const PAGES_SCRIPT = `'use strict';
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
        status(id, 'Press Ctrl+C (or \\u2318C) to copy the selected token.');
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
`;
