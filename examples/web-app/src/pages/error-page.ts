import { html } from './html.js';
import { layout } from './layout.js';

/** A page for a request the app could not serve. */
export function errorPage(title: string, detail: string): string {
  return layout({ title, signedIn: false }, html`<h1>${title}</h1><p>${detail}</p><p><a href="/">Back to the start</a></p>`);
}
