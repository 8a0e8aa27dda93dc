import type { Session } from '../store/app-store.js';
import { html } from './html.js';
import { formatTime, layout, postButton } from './layout.js';

export interface HomePageOptions {
  readonly csrfToken: string;
  readonly sub: string;
  readonly session: Session | null;
  readonly notice?: string | undefined;
}

/** The signed-in user's start page. */
export function homePage(options: HomePageOptions): string {
  const { session } = options;
  return layout(
    { title: 'Home', signedIn: true, notice: options.notice },
    html`<h1>Hello, ${options.sub}</h1>
<p id="device">Signed in on <strong>${session?.name ?? 'this device'}</strong>${session === null ? '' : html` since ${formatTime(session.createdAt)}`}.</p>
<p>${postButton('/sign-out', 'Sign out', options.csrfToken)} ${postButton('/sign-out-everywhere', 'Sign out everywhere', options.csrfToken)}</p>
<p><small>"Sign out everywhere" ends every sign-in of yours, on every device; this one gets a fresh sign-in and stays signed in.</small></p>`,
  );
}
