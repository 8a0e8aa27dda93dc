import type { RequestHandler } from 'express';
import type { RouteSpec } from '../openapi/route-table.js';
import { HttpProblem } from './problem.js';

interface KnownPath {
  readonly pattern: RegExp;
  /** The Allow header: the route table's methods, plus HEAD wherever GET is served (Express answers it). */
  readonly allow: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `/v1/revocations/{type}/{id}` → one segment per parameter; Express routes ignore case and a trailing slash. */
function patternOf(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : escapeRegExp(part)))
    .join('');
  return new RegExp(`^${source}/?$`, 'i');
}

/** The methods each known path serves, from the route table. */
export function knownPaths(routes: readonly RouteSpec[]): KnownPath[] {
  const methods = new Map<string, Set<string>>();
  for (const route of routes) {
    const set = methods.get(route.path) ?? new Set<string>();
    set.add(route.method.toUpperCase());
    if (route.method === 'get') set.add('HEAD');
    methods.set(route.path, set);
  }
  return [...methods].map(([path, set]) => ({ pattern: patternOf(path), allow: [...set].sort().join(', ') }));
}

/**
 * Answers 405 with an `Allow` header for a path the route table knows,
 * called with a method it does not serve. Mounted after every route, so it
 * only sees requests no route answered; an unknown path goes on to the 404.
 * Built from the same table as the OpenAPI document, so the two agree.
 */
export function methodNotAllowed(routes: readonly RouteSpec[]): RequestHandler {
  const paths = knownPaths(routes);
  return (req, _res, next) => {
    const known = paths.find((path) => path.pattern.test(req.path));
    if (known === undefined || known.allow.split(', ').includes(req.method)) {
      next();
      return;
    }
    throw new HttpProblem('ERR_METHOD_NOT_ALLOWED', `${req.method} is not served at ${req.path}; allowed: ${known.allow}`, {
      headers: { Allow: known.allow },
    });
  };
}
