import type { Session } from '../store/app-store.js';
import { html } from './html.js';
import { formatTime, layout, postButton } from './layout.js';

export interface DevicesPageOptions {
  readonly csrfToken: string;
  readonly sessions: readonly Session[];
  readonly currentSid: string;
  readonly notice?: string | undefined;
}

/** "My devices": every sign-in still in force, each with its own sign-out. */
export function devicesPage(options: DevicesPageOptions): string {
  const { csrfToken, currentSid } = options;
  return layout(
    { title: 'My devices', signedIn: true, notice: options.notice },
    html`<h1>My devices</h1>
<ul class="devices">${options.sessions.map(
      (session) => html`
<li><strong>${session.name}</strong>${session.sid === currentSid ? html` <em>(this device)</em>` : ''}<br>
<small>signed in ${formatTime(session.createdAt)} · last refreshed ${formatTime(session.lastSeenAt)}</small><br>
${postButton('/devices/sign-out', 'Sign out', csrfToken, { sid: session.sid })}</li>`,
    )}
</ul>
<p>${postButton('/sign-out-everywhere', 'Sign out everywhere', csrfToken)}</p>`,
  );
}
