/**
 * Three segments of base64url, written the one way RFC 7515 allows:
 * no padding, no whitespace, zero spare bits. The header must not be empty;
 * the payload may be (jose then refuses it as a claims set) and so may the
 * signature (it then fails to verify, as with jose). The classes exclude
 * ".", so matching is linear.
 */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

// A final group of 2 or 3 characters carries 4 or 2 spare bits in its last
// character; a canonical encoder sets them to zero.
const LAST_OF_TWO = 'AQgw';
const LAST_OF_THREE = 'AEIMQUYcgkosw048';

function canonicalEnd(token: string, end: number, length: number): boolean {
  switch (length & 3) {
    case 0:
      return true;
    case 2:
      return LAST_OF_TWO.includes(token.charAt(end - 1));
    case 3:
      return LAST_OF_THREE.includes(token.charAt(end - 1));
    default:
      return false;
  }
}

/** Where the segments of a compact JWS end: the two dots. */
export interface CompactParts {
  readonly headerEnd: number;
  readonly payloadEnd: number;
}

/**
 * The dots of `token` when it is a JWS in compact serialisation with every
 * segment in canonical base64url; `undefined` otherwise.
 *
 * jose's decoder (atob on Node 20) also takes padding, whitespace and stray
 * bits, which lets one signed token be spelled several ways; refusing those
 * spellings keeps the signing input and the decoded parts one-to-one.
 */
export function splitCompact(token: string): CompactParts | undefined {
  if (!COMPACT.test(token)) return undefined;
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  if (
    canonicalEnd(token, headerEnd, headerEnd) &&
    canonicalEnd(token, payloadEnd, payloadEnd - headerEnd - 1) &&
    canonicalEnd(token, token.length, token.length - payloadEnd - 1)
  ) {
    return { headerEnd, payloadEnd };
  }
  return undefined;
}
