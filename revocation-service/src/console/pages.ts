import type { FleetStatus } from '../fleet/fleet-status.js';
import type { Scope } from '../http/admin-auth.js';
import type { RevocationRecord } from '../model/revocation.js';
import type { ConsoleSession, Flash } from './console-sessions.js';
import type { ConsoleLinks } from './console-links.js';
import { html, type SafeHtml } from './html.js';

function layout(links: ConsoleLinks, title: string, body: SafeHtml, header: SafeHtml | string = ''): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Revocast</title>
<link rel="stylesheet" href="${links.to('assets/console.css')}">
<link rel="icon" href="${links.to('assets/favicon.svg')}" type="image/svg+xml">
</head>
<body>
<header><h1>Revocast console</h1>${header}</header>
${body}
<script src="${links.to('assets/console.js')}"></script>
</body>
</html>`.value;
}

export function loginPage(links: ConsoleLinks, csrf: string, error?: string): string {
  return layout(
    links,
    'Sign in',
    html`<main><section class="login">
<h2>Sign in with an admin key</h2>
${error === undefined ? '' : html`<div class="flash error" role="alert">${error}</div>`}
<form method="post" action="${links.to('login')}" autocomplete="off">
<input type="hidden" name="_csrf" value="${csrf}">
<div class="row"><input type="password" name="key" aria-label="Admin key" placeholder="Admin key" required autofocus></div>
<div class="row"><button type="submit">Sign in</button></div>
<p class="muted">The key is sent once, in this form's body; the console then uses an HttpOnly session cookie.</p>
</form>
</section></main>`,
  );
}

function can(session: ConsoleSession, scope: Scope): boolean {
  return session.scopes.has(scope);
}

function idOf(record: RevocationRecord): string {
  return record.id;
}

function revocationRows(session: ConsoleSession, records: readonly RevocationRecord[], sub: string, links: ConsoleLinks): SafeHtml {
  if (records.length === 0) return html`<tr><td colspan="6" class="muted">no live revocations</td></tr>`;
  return html`${records.map(
    (r) => html`<tr>
<td data-label="Type">${r.type}</td><td data-label="Id">${idOf(r)}</td><td data-label="Reason">${r.reason ?? '-'}</td><td data-label="By">${r.revokedBy}</td><td data-label="Expires">${new Date(r.pruneAt).toISOString()}</td>
<td data-label="">${
      can(session, 'reinstate')
        ? html`<form method="post" action="${links.to('reinstate')}"><input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="type" value="${r.type}"><input type="hidden" name="id" value="${r.id}"><input type="hidden" name="sub" value="${sub}"><button class="quiet" type="submit">Reinstate</button></form>`
        : ''
    }</td>
</tr>`,
  )}`;
}

function verifierRows(status: FleetStatus | undefined): SafeHtml {
  if (status === undefined) return html`<tr><td colspan="8" class="muted">the verifier fleet is not available</td></tr>`;
  if (status.verifiers.length === 0) return html`<tr><td colspan="8" class="muted">no live verifiers</td></tr>`;
  return html`${status.verifiers.map(
    (v) =>
      html`<tr><td>${v.id}</td><td>${v.host}</td><td>${v.sdkVersion}</td><td class="state-${v.state}">${v.state}</td><td>${v.offset}</td><td>${v.lag.offsets ?? 'reloading'}</td><td>${v.lag.seconds === null ? '-' : `${v.lag.seconds.toFixed(3)} s`}</td><td>${v.lastSyncAt ?? '-'}</td></tr>`,
  )}`;
}

export interface ConsoleView {
  readonly session: ConsoleSession;
  /** The message kept for this page, if any. */
  readonly flash: Flash | undefined;
  readonly sub: string | undefined;
  readonly records: readonly RevocationRecord[];
  readonly fleet: FleetStatus | undefined;
  readonly searchError?: string;
  readonly links: ConsoleLinks;
}

export function consolePage(view: ConsoleView): string {
  const { session, flash, sub, records, fleet, links } = view;
  const sessions = records.filter((r) => r.type === 'session');
  const header = html`<div class="who">signed in as <strong>${session.actor}</strong> (${[...session.scopes].join(', ')})
<form method="post" action="${links.to('logout')}"><input type="hidden" name="_csrf" value="${session.csrf}"><button class="quiet" type="submit">Sign out</button></form></div>`;
  const revokeForms =
    sub !== undefined && can(session, 'revoke')
      ? html`<div class="grid">
<form method="post" action="${links.to('revoke')}"><input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="type" value="subject"><input type="hidden" name="sub" value="${sub}">
<h2>Sign ${sub} out everywhere</h2><div class="row"><input type="text" name="reason" aria-label="Reason for revoking the user" placeholder="Reason" maxlength="500"></div>
<div class="row"><button class="danger" type="submit">Revoke user</button></div></form>
<form method="post" action="${links.to('revoke')}"><input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="type" value="session"><input type="hidden" name="sub" value="${sub}">
<h2>Revoke one session of ${sub}</h2><div class="row"><input type="text" name="sid" aria-label="Session id" placeholder="Session id (sid)" required maxlength="256"></div>
<div class="row"><input type="text" name="reason" aria-label="Reason for revoking the session" placeholder="Reason" maxlength="500"><button class="danger" type="submit">Revoke session</button></div></form>
</div>`
      : '';
  const subjectSection =
    sub === undefined
      ? ''
      : html`<section aria-label="Subject">
<h2>Revocations of ${sub}</h2>
<div class="scroll" role="region" aria-label="Revocations of ${sub}" tabindex="0"><table id="revocations" class="cards"><thead><tr><th>Type</th><th>Id</th><th>Reason</th><th>By</th><th>Expires</th><th><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${revocationRows(session, records, sub, links)}</tbody></table></div>
<p class="muted">Revoked sessions of ${sub}: ${sessions.length === 0 ? 'none' : sessions.map((r) => r.id).join(', ')}</p>
${revokeForms}
</section>`;
  return layout(
    links,
    sub === undefined ? 'Console' : sub,
    html`<main>
${flash === undefined ? '' : html`<div class="flash ${flash.kind}" role="status">${flash.text}</div>`}
<section aria-label="Search">
<form method="get" action="${links.home}" class="row">
<input type="text" name="sub" aria-label="Subject" placeholder="Subject (sub claim)" value="${sub ?? ''}" maxlength="256" required>
<button type="submit">Search</button>
${view.searchError === undefined ? '' : html`<span class="lagging">${view.searchError}</span>`}
</form>
</section>
${subjectSection}
<section aria-label="Verifiers">
<h2>Live propagation</h2>
<p id="head" class="muted" aria-live="polite" aria-atomic="true">head offset ${fleet?.head.offset ?? '-'} · ${fleet?.verifiers.length ?? 0} live verifiers</p>
<div class="scroll" role="region" aria-label="Live verifiers" tabindex="0"><table id="verifiers" data-events="${links.to('events')}"><thead><tr><th>Verifier</th><th>Host</th><th>SDK</th><th>State</th><th>Offset</th><th>Lag</th><th>Lag (s)</th><th>Last sync</th></tr></thead>
<tbody>${verifierRows(fleet)}</tbody></table></div>
<h2 id="changes-title">Changes as they happen</h2>
<ul id="changes" role="log" aria-live="polite" aria-labelledby="changes-title"></ul>
</section>
</main>`,
    header,
  );
}

export function errorPage(links: ConsoleLinks, status: number, message: string): string {
  return layout(
    links,
    `Error ${status}`,
    html`<main><section><h2>Error ${status}</h2><p>${message}</p><p><a href="${links.home}">Back to the console</a></p></section></main>`,
  );
}
