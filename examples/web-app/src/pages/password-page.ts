import { html } from './html.js';
import { csrfField, layout } from './layout.js';

/** Change-password form. */
export function passwordPage(options: { readonly csrfToken: string; readonly error?: string | undefined }): string {
  return layout(
    { title: 'Change password', signedIn: true, error: options.error },
    html`<h1>Change password</h1>
<form method="post" action="/password">${csrfField(options.csrfToken)}
<label>Current password <input type="password" name="current" autocomplete="current-password" required maxlength="200"></label>
<label>New password <input type="password" name="next" autocomplete="new-password" required minlength="8" maxlength="200"></label>
<button type="submit">Change password</button>
</form>
<p><small>Every other device is signed out; this one stays signed in.</small></p>`,
  );
}
