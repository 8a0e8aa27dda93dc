/**
 * Three base64url segments; only the payload may be empty (jose then refuses
 * it as a claims set). The classes exclude ".", so matching is linear.
 */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

// A final group of 2 or 3 characters carries 4 or 2 spare bits in its last
// character; a canonical encoder sets them to zero.
const LAST_OF_TWO = 'AQgw';
const LAST_OF_THREE = 'AEIMQUYcgkosw048';

function canonicalEnd(token: string, end: number, length: number): boolean {
  switch (length % 4) {
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

/**
 * Whether `token` is a JWS in compact serialisation written the one way
 * RFC 7515 allows: three segments of unpadded base64url with zero
 * spare bits. jose's decoder (atob on Node 20) also takes whitespace,
 * padding and stray bits, which lets one signed token be spelled several
 * ways; refusing those spellings here keeps the signing input and the
 * decoded parts in one-to-one correspondence.
 */
export function isCompactJws(token: string): boolean {
  if (!COMPACT.test(token)) return false;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return (
    canonicalEnd(token, first, first) &&
    canonicalEnd(token, second, second - first - 1) &&
    canonicalEnd(token, token.length, token.length - second - 1)
  );
}
