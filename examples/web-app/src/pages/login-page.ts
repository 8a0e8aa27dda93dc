import { html } from './html.js';
import { csrfField, layout } from './layout.js';

export interface LoginPageOptions {
  readonly csrfToken: string;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
  readonly username?: string | undefined;
  readonly deviceName?: string | undefined;
}

/** Sign-in form: user, password, and a name for this device. */
export function loginPage(options: LoginPageOptions): string {
  return layout(
    { title: 'Sign in', signedIn: false, notice: options.notice, error: options.error },
    html`<h1>Sign in</h1>
<form method="post" action="/login">${csrfField(options.csrfToken)}
<label>User name <input type="text" name="username" autocomplete="username" required maxlength="64" value="${options.username ?? ''}"></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="200"></label>
<label>Name this device <input type="text" name="device" maxlength="60" placeholder="work laptop" value="${options.deviceName ?? ''}"></label>
<button type="submit">Sign in</button>
</form>
<p><small>Demo users: alice / alice-password, bob / bob-password.</small></p>`,
  );
}
