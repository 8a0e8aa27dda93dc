import { CSRF_FIELD } from '../http/csrf.js';
import { SafeHtml, html } from './html.js';

/** Notices a redirect asks for with `?m=`: fixed texts, so a link cannot put words in the app's mouth. */
export const NOTICES = {
  'signed-out': 'You were signed out.',
  reuse: 'This device was signed out for your safety: its sign-in was used from somewhere else. Please sign in again.',
  'device-signed-out': 'The device was signed out.',
  'signed-out-everywhere': 'Every device was signed out. This one has a fresh sign-in and stays signed in.',
  'password-changed': 'Password changed. Every other device was signed out; this one stays signed in.',
} as const;

export function notice(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(NOTICES, code) ? NOTICES[code as keyof typeof NOTICES] : undefined;
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
nav{display:flex;gap:1rem;border-bottom:1px solid #ddd;padding-bottom:.5rem;margin-bottom:1rem}
.notice{background:#eef6ee;border:1px solid #9c9;padding:.5rem .75rem}.error{background:#fbeaea;border:1px solid #d99;padding:.5rem .75rem}
label{display:block;margin:.5rem 0}input[type=text],input[type=password]{display:block;width:100%;max-width:20rem;padding:.3rem}
ul.devices{list-style:none;padding:0}ul.devices li{border:1px solid #ddd;padding:.5rem .75rem;margin:.5rem 0}
form.inline{display:inline}button{padding:.3rem .8rem;margin:.25rem 0}small{color:#666}`;

export interface PageOptions {
  readonly title: string;
  /** Shows the navigation of a signed-in user. */
  readonly signedIn: boolean;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

/** A whole HTML page around `body`. */
export function layout(options: PageOptions, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${options.title} · Revocast example</title><style>${new SafeHtml(STYLE)}</style></head>
<body>
${options.signedIn ? html`<nav><a href="/">Home</a><a href="/devices">My devices</a><a href="/password">Change password</a></nav>` : ''}
${options.notice === undefined ? '' : html`<p class="notice" role="status">${options.notice}</p>`}
${options.error === undefined ? '' : html`<p class="error" role="alert">${options.error}</p>`}
${body}
</body>
</html>
`.value;
}

/** The hidden CSRF field every form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** A one-button form that POSTs to `action`. Nothing goes in the URL. */
export function postButton(action: string, label: string, csrfToken: string, fields: Record<string, string> = {}): SafeHtml {
  return html`<form class="inline" method="post" action="${action}">${csrfField(csrfToken)}${Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit">${label}</button></form>`;
}

/** `2026-05-04 13:07:21 UTC` */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
