import type { Request } from 'express';

/** Where the console's pages, forms and assets are, as URLs relative to the page being answered. */
export interface ConsoleLinks {
  /** The console's start page; add `?sub=…` to open a subject. */
  readonly home: string;
  /** A page or file under the console (`login`, `revoke`, `assets/console.css`, …). */
  to(path: string): string;
}

/**
 * Every link and redirect of the console is relative, so the console works
 * wherever a proxy mounts the service (`/revocast/admin` as well as `/admin`)
 * without being told its public path. The start page is the mount itself
 * (`…/admin`, no trailing slash), one directory above the other pages
 * (`…/admin/login`), so the same target is spelled differently from each.
 */
export function consoleLinks(req: Request): ConsoleLinks {
  const mount = req.baseUrl.slice(req.baseUrl.lastIndexOf('/') + 1);
  const pathname = req.originalUrl.split('?', 1)[0] as string;
  const atMount = req.path === '/' && !pathname.endsWith('/');
  return atMount ? { home: mount, to: (path) => `${mount}/${path}` } : { home: `../${mount}`, to: (path) => path };
}
