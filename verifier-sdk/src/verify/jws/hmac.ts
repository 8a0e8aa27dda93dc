import { hash } from 'node:crypto';

/** The hashes of HS256, HS384 and HS512. */
export type HmacHash = 'sha256' | 'sha384' | 'sha512';
/** Each hash's block (as long as RFC 2104's pads) and output, in bytes. */
const SIZES: Record<HmacHash, { readonly block: number; readonly digest: number }> = {
  sha256: { block: 64, digest: 32 },
  sha384: { block: 128, digest: 48 },
  sha512: { block: 128, digest: 64 },
};

/** Room for the signing input before the inner buffer has to grow (the verifier's default token limit). */
const INITIAL_INPUT_BYTES = 8192;

/**
 * The HMAC of a signing input (RFC 2104), `H((K ^ opad) || H((K ^ ipad) ||
 * input))`, checked against a token's signature segment. Made once per
 * key: the padded keys are written into two buffers here, and a check is two
 * one-shot `crypto.hash` calls over them. `createHmac` builds a native
 * object per call and costs more than the hashing (4.7 against 2.9 µs a
 * check for a 300-byte HS256 input on this project's bench machine).
 *
 * The check is synchronous and the buffers are its own, so calls cannot
 * interleave. The MAC is compared as base64url text with the segment, which
 * the caller has checked canonical, so equal text is equal bytes; the
 * lengths (public: the hash's) are compared first, then every character,
 * without an early exit.
 */
export function hmacCheck(algorithm: HmacHash, secret: Uint8Array): (signingInput: string, signature: string) => boolean {
  const { block, digest } = SIZES[algorithm];
  // A key longer than the block is hashed first (RFC 2104 section 2); a shorter one is zero-padded.
  const key = Buffer.alloc(block);
  if (secret.length > block) hash(algorithm, secret, 'buffer').copy(key);
  else key.set(secret);
  const ipad = Buffer.alloc(block);
  const outer = Buffer.alloc(block + digest);
  for (let i = 0; i < block; i++) {
    ipad[i] = (key[i] as number) ^ 0x36;
    outer[i] = (key[i] as number) ^ 0x5c;
  }
  key.fill(0);
  let inner = Buffer.alloc(block + INITIAL_INPUT_BYTES);
  ipad.copy(inner);

  return (signingInput, signature) => {
    if (signingInput.length > inner.length - block) {
      inner = Buffer.alloc(block + signingInput.length);
      ipad.copy(inner);
    }
    const written = inner.write(signingInput, block, 'latin1');
    hash(algorithm, inner.subarray(0, block + written), 'buffer').copy(outer, block);
    const mac = hash(algorithm, outer, 'base64url');
    if (mac.length !== signature.length) return false;
    let difference = 0;
    for (let i = 0; i < mac.length; i++) difference |= mac.charCodeAt(i) ^ signature.charCodeAt(i);
    return difference === 0;
  };
}
