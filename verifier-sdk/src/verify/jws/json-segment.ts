import { isUtf8 } from 'node:buffer';

/**
 * The JSON value a base64url segment (already checked canonical) encodes,
 * or `undefined` when it is not strict UTF-8 JSON. Decodes as jose's fatal
 * TextDecoder does: invalid UTF-8 is an error, and one leading byte order
 * mark is dropped.
 */
export function parseJsonSegment(segment: string): unknown {
  let bytes = Buffer.from(segment, 'base64url');
  if (!isUtf8(bytes)) return undefined;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON object (not an array, not null): what a JOSE header and a JWT claims set must be. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
