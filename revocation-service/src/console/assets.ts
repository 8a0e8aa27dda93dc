/**
 * The console's only stylesheet and script, served from `/admin/assets/`
 * so the Content-Security-Policy can forbid every inline script and style.
 */

export const CONSOLE_CSS = `
:root { --ink: #1d2433; --muted: #5b6478; --line: #d9dee8; --accent: #3451b2; --ok: #1a7f4b; --warn: #a45a00; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f4f6fa; }
header { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; justify-content: space-between; padding: 12px 24px; background: #1d2433; color: #fff; }
header h1 { margin: 0; font-size: 18px; letter-spacing: .02em; }
header .who { font-size: 13px; color: #c9d2e6; }
header form { display: inline; margin-left: 12px; }
main { max-width: 1080px; margin: 0 auto; padding: 20px 24px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 18px; }
h2 { margin: 0 0 12px; font-size: 16px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td { overflow-wrap: break-word; }
td button { white-space: nowrap; }
/* Wide tables scroll inside their panel instead of widening the page on a phone. */
.scroll { position: relative; overflow-x: auto; max-width: 100%; }
.scroll:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
th { color: var(--muted); font-weight: 600; }
input[type=text], input[type=password] { padding: 7px 9px; border: 1px solid var(--line); border-radius: 6px; font: inherit; flex: 1 1 220px; min-width: 0; max-width: 100%; }
button { padding: 7px 14px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
button.danger { background: var(--bad); }
button.quiet { background: #e7ebf3; color: var(--ink); }
.row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.flash { padding: 10px 14px; border-radius: 6px; margin-bottom: 18px; font-weight: 600; }
.flash.ok { background: #e3f4ea; color: var(--ok); }
.flash.warn { background: #fdf0dc; color: var(--warn); }
.flash.error { background: #fbe4e2; color: var(--bad); }
.state-ready { color: var(--ok); font-weight: 600; }
.state-stale, .lagging { color: var(--bad); font-weight: 600; }
.state-starting { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.scroll + h2 { margin-top: 20px; }
#changes { list-style: none; padding: 0; margin: 0; font: 12px/1.6 ui-monospace, monospace; max-height: 220px; overflow: auto; }
.login { max-width: 420px; margin: 80px auto; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.grid > form { min-width: 0; }
@media (max-width: 720px) {
  header { padding: 10px 12px; }
  header form { margin-left: 8px; }
  main { padding: 12px 10px 28px; }
  section { padding: 12px; }
  .grid { grid-template-columns: 1fr; }
  .login { margin: 24px auto; }
  th, td { padding: 6px 6px; }
  /* On a phone each revocation is a small card: label, value, one per line. */
  table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.cards, table.cards tbody, table.cards tr { display: block; }
  table.cards tr { border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.cards td { display: grid; grid-template-columns: 6em minmax(0, 1fr); gap: 8px; border: 0; padding: 2px 0; }
  table.cards td::before { content: attr(data-label); color: var(--muted); font-weight: 600; }
  table.cards td[data-label=""] { display: block; padding-top: 6px; }
  table.cards td[data-label=""]::before, table.cards td[colspan]::before { content: none; }
  table.cards td[colspan] { display: block; }
}
`;

export const CONSOLE_JS = `
'use strict';
(function () {
  var table = document.getElementById('verifiers');
  var changes = document.getElementById('changes');
  var head = document.getElementById('head');
  if (!table || !window.EventSource) return;
  function cell(row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '-' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
  }
  // Relative to the page, so the console works under any path prefix.
  var source = new EventSource(table.getAttribute('data-events'));
  source.addEventListener('fleet', function (event) {
    var status = JSON.parse(event.data);
    // The summary is a live region: change its text only when the figures change, so a screen reader is not told every second.
    var summary = 'head offset ' + status.head.offset + ' \\u00b7 ' + status.verifiers.length + ' live verifier' + (status.verifiers.length === 1 ? '' : 's');
    if (head.getAttribute('data-summary') !== summary) {
      head.setAttribute('data-summary', summary);
      head.textContent = summary + ' \\u00b7 updated ' + new Date().toLocaleTimeString();
    }
    var body = document.createElement('tbody');
    status.verifiers.forEach(function (v) {
      var row = document.createElement('tr');
      var behind = v.lag.offsets !== 0;
      cell(row, v.id);
      cell(row, v.host);
      cell(row, v.sdkVersion);
      cell(row, v.state, 'state-' + v.state);
      cell(row, v.offset);
      cell(row, v.lag.offsets === null ? 'reloading' : v.lag.offsets, behind ? 'lagging' : '');
      cell(row, v.lag.seconds === null ? null : v.lag.seconds.toFixed(3) + ' s', behind ? 'lagging' : '');
      cell(row, v.lastSyncAt);
      body.appendChild(row);
    });
    if (status.verifiers.length === 0) {
      var empty = document.createElement('tr');
      cell(empty, 'no live verifiers', 'muted');
      body.appendChild(empty);
    }
    table.replaceChild(body, table.tBodies[0]);
  });
  source.addEventListener('change', function (event) {
    var c = JSON.parse(event.data);
    var item = document.createElement('li');
    item.textContent = c.at + '  #' + c.offset + '  ' + c.op + ' ' + c.type + ' ' + c.id;
    changes.insertBefore(item, changes.firstChild);
    while (changes.children.length > 50) changes.removeChild(changes.lastChild);
  });
})();
`;

export const CONSOLE_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2433"/><path d="M4 8h8M8 4v8" stroke="#fff" stroke-width="2"/></svg>';
