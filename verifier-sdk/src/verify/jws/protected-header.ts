import { JwsError } from './jws-error.js';
import { isJsonObject, parseJsonSegment } from './json-segment.js';

/** A protected header that passed the JWS rules; shared, so frozen. */
export interface ProtectedHeader {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  /** False for an unencoded payload (RFC 7797), which a JWT must not use. */
  readonly b64: boolean;
}

/** Extensions this verifier understands when `crit` names them (RFC 7515 section 4.1.11). */
const UNDERSTOOD = new Set(['b64']);

function malformed(message: string): JwsError {
  return new JwsError('malformed', `token is invalid: ${message}`);
}

/**
 * Parses and checks a compact JWS's protected header the way jose does, in
 * jose's order, so both refuse the same headers with the same class: a JSON
 * object; `crit` a non-empty array of non-empty strings naming only
 * understood extensions that are present; `b64` a boolean when `crit` names
 * it; `alg` a non-empty string.
 */
export function parseProtectedHeader(segment: string): ProtectedHeader {
  const header = parseJsonSegment(segment);
  if (!isJsonObject(header)) throw malformed('the protected header is not a JSON object');
  let b64 = true;
  const crit = header['crit'];
  if (crit !== undefined) {
    if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name.length === 0)) {
      throw malformed('"crit" must be an array of non-empty strings');
    }
    for (const name of crit as string[]) {
      if (!UNDERSTOOD.has(name))
        throw new JwsError('unsupported', `token is invalid: extension header parameter ${JSON.stringify(name)} is not understood`);
      if (!Object.hasOwn(header, name)) throw malformed(`extension header parameter "${name}" is missing`);
    }
    if (crit.includes('b64')) {
      if (typeof header['b64'] !== 'boolean') throw malformed('"b64" must be a boolean');
      b64 = header['b64'];
    }
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg.length === 0) throw malformed('"alg" is missing or not a string');
  return { header: Object.freeze(header), alg, b64 };
}

/**
 * Parsed headers by their base64url text. A service signs with a handful of
 * headers (one per key and algorithm), so nearly every token's header is
 * parsed once; the bound keeps an attacker who varies headers from growing it.
 */
export class HeaderCache {
  readonly #entries = new Map<string, ProtectedHeader>();
  readonly #max: number;

  constructor(max = 64) {
    this.#max = max;
  }

  parse(segment: string): ProtectedHeader {
    let parsed = this.#entries.get(segment);
    if (parsed === undefined) {
      parsed = parseProtectedHeader(segment);
      if (this.#entries.size >= this.#max) this.#entries.clear();
      this.#entries.set(segment, parsed);
    }
    return parsed;
  }
}
