import { constants, createSecretKey, generateKeyPairSync, sign as cryptoSign, createHmac, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import {
  createLocalJWKSet,
  errors as joseErrors,
  exportJWK,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { JWS_ALGORITHMS, type JwsAlgorithm } from '../../verifier-sdk/src/verify/jws/algorithms.js';
import { JwsError } from '../../verifier-sdk/src/verify/jws/jws-error.js';
import { loadKey, type KeyMaterial } from '../../verifier-sdk/src/verify/jws/load-key.js';
import {
  createKeySetJwsVerifier,
  createPooledJwsVerifier,
  createStaticJwsVerifier,
  type KeyLookup,
  type VerifiedJws,
} from '../../verifier-sdk/src/verify/jws/verify-compact.js';

/**
 * The differential property of the JWS core against jose: random keys of
 * every supported type in every form the verifier accepts, random headers
 * and payloads, signed and then mutated (bit flips, swapped segments, alg
 * changes, re-encodings, key confusion). For every token both must accept
 * with the same payload, or both refuse with the same class of error.
 *
 * One deliberate difference: the core refuses any spelling that is not
 * canonical base64url (padding, whitespace, the standard alphabet, non-zero
 * spare bits) as malformed before anything else, where jose's lenient
 * decoder may accept it or refuse it for another reason. For those tokens
 * the property checks, with an independent oracle, that the token really is
 * not canonical and that the core said `malformed`.
 */

/** The class of an outcome: jose's error classes, named as the core names them. */
export type Verdict =
  | { readonly accepted: true; readonly payload: unknown }
  | { readonly accepted: false; readonly reason: string; readonly message: string };

const JOSE_CLASSES: ReadonlyArray<[new (...args: never[]) => Error, string]> = [
  [joseErrors.JWTExpired, 'expired'],
  [joseErrors.JWTClaimValidationFailed, 'claim-invalid'],
  [joseErrors.JWSInvalid, 'malformed'],
  [joseErrors.JOSENotSupported, 'unsupported'],
  [joseErrors.JOSEAlgNotAllowed, 'alg-not-allowed'],
  [joseErrors.JWSSignatureVerificationFailed, 'bad-signature'],
  [joseErrors.JWTInvalid, 'not-a-jwt'],
  [joseErrors.JWKSNoMatchingKey, 'no-matching-key'],
  [joseErrors.JWKSMultipleMatchingKeys, 'multiple-matching-keys'],
];

export function joseVerdictOf(err: unknown): Verdict {
  for (const [errorClass, reason] of JOSE_CLASSES) {
    if (err instanceof errorClass) return { accepted: false, reason, message: (err as Error).message };
  }
  // jose throws a plain TypeError for a key that cannot serve the algorithm (an RSA key under 2048 bits).
  if (err instanceof TypeError) return { accepted: false, reason: 'key-unusable', message: err.message };
  throw new Error(`jose threw something unexpected: ${String(err)}`, { cause: err });
}

/** Whether `token` is three segments of canonical base64url with a non-empty header: an oracle independent of the core's parser. */
export function isCanonicalCompact(token: string): boolean {
  const parts = token.split('.');
  return (
    parts.length === 3 &&
    (parts[0] as string).length > 0 &&
    parts.every((part) => /^[A-Za-z0-9_-]*$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part)
  );
}

// ---------------------------------------------------------------------------
// Keys

type Family = 'hmac' | 'rsa' | 'ec256' | 'ec384' | 'ec521' | 'ed25519';

interface KeyPairEntry {
  readonly family: Family;
  /** Secret bytes for HMAC, else the private key used to sign. */
  readonly signer: KeyObject;
  /** The public KeyObject, or the secret. */
  readonly verifier: KeyObject;
  readonly jwk: JWK;
}

export interface KeyPool {
  readonly keys: readonly KeyPairEntry[];
  /** An RSA key under 2048 bits, for the key-set rule. */
  readonly weakRsa: KeyPairEntry;
}

function pair(family: Family, signer: KeyObject, verifier: KeyObject, jwk: JWK): KeyPairEntry {
  return { family, signer, verifier, jwk };
}

async function asymmetric(family: Family, type: 'rsa' | 'ec' | 'ed25519', options: object): Promise<KeyPairEntry> {
  const { privateKey, publicKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  return pair(family, privateKey, publicKey, await exportJWK(publicKey));
}

async function hmacKey(bytes: Buffer): Promise<KeyPairEntry> {
  const key = createSecretKey(bytes);
  return pair('hmac', key, key, await exportJWK(key));
}

/** Keys of every type and size the core supports, made once per run. */
export async function createKeyPool(random: () => number): Promise<KeyPool> {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const keys: KeyPairEntry[] = [
    await hmacKey(bytes(32)),
    await hmacKey(bytes(48)),
    await hmacKey(bytes(64)),
    await hmacKey(bytes(100)),
    await asymmetric('rsa', 'rsa', { modulusLength: 2048 }),
    await asymmetric('rsa', 'rsa', { modulusLength: 3072 }),
    await asymmetric('ec256', 'ec', { namedCurve: 'P-256' }),
    await asymmetric('ec256', 'ec', { namedCurve: 'P-256' }),
    await asymmetric('ec384', 'ec', { namedCurve: 'P-384' }),
    await asymmetric('ec521', 'ec', { namedCurve: 'P-521' }),
    await asymmetric('ed25519', 'ed25519', {}),
    await asymmetric('ed25519', 'ed25519', {}),
  ];
  return { keys, weakRsa: await asymmetric('rsa', 'rsa', { modulusLength: 1024 }) };
}

/** Every algorithm a key of the family can serve. */
function algorithmsOf(entry: KeyPairEntry): JwsAlgorithm[] {
  switch (entry.family) {
    case 'hmac': {
      const size = entry.verifier.symmetricKeySize ?? 0;
      return (['HS256', 'HS384', 'HS512'] as const).filter((alg) => size >= JWS_ALGORITHMS[alg].minSecretBytes);
    }
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'ec256':
      return ['ES256'];
    case 'ec384':
      return ['ES384'];
    case 'ec521':
      return ['ES512'];
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
  }
}

/** Signs `input` as `alg` with node:crypto; a key that does not fit the algorithm throws. */
export function signInput(alg: string, key: KeyObject | Buffer, input: string): Buffer {
  const data = Buffer.from(input, 'latin1');
  const spec = (JWS_ALGORITHMS as Record<string, (typeof JWS_ALGORITHMS)[JwsAlgorithm]>)[alg];
  if (spec === undefined) return Buffer.alloc(0);
  switch (spec.family) {
    case 'hmac':
      return createHmac(spec.hash, key).update(data).digest();
    case 'rsa':
      return cryptoSign(spec.hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PADDING });
    case 'rsa-pss':
      return cryptoSign(spec.hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength });
    case 'ecdsa':
      return cryptoSign(spec.hash, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'eddsa':
      return cryptoSign(null, data, key as KeyObject);
  }
}

// ---------------------------------------------------------------------------
// Verifier setups: the same key material handed to the core and to jose

type Form = 'KeyObject' | 'JWK' | 'JWK with alg' | 'CryptoKey' | 'bytes' | 'key set';

export interface Setup {
  readonly name: string;
  readonly key: KeyPairEntry;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly ours: (token: string) => Promise<VerifiedJws> | VerifiedJws;
  readonly jose: (token: string) => ReturnType<typeof jwtVerify>;
  /** What jose is given: the same material, or the same key set. */
  readonly joseKey: Parameters<typeof jwtVerify>[1];
  /** Whether `ours` checks the signature on the thread pool. */
  readonly onPool?: boolean;
}

/** Every form of every key in the pool, each with the allow-list it can be bound to. */
export async function createSetups(pool: KeyPool, joseOptions: JWTVerifyOptions = {}): Promise<Setup[]> {
  const setups: Setup[] = [];
  const add = async (key: KeyPairEntry, form: Form, algorithms: readonly JwsAlgorithm[]) => {
    let material: KeyMaterial;
    let joseKey: Parameters<typeof jwtVerify>[1];
    switch (form) {
      case 'KeyObject':
        material = key.verifier;
        joseKey = key.verifier;
        break;
      case 'bytes':
        material = new Uint8Array(key.verifier.export());
        joseKey = material;
        break;
      case 'JWK':
        material = { ...key.jwk };
        joseKey = { ...key.jwk };
        break;
      case 'JWK with alg':
        material = { ...key.jwk, alg: algorithms[0] as string };
        joseKey = { ...key.jwk, alg: algorithms[0] as string };
        break;
      case 'CryptoKey': {
        const imported = await importJWK({ ...key.jwk, ext: true }, algorithms[0]);
        material = imported as KeyMaterial;
        joseKey = imported;
        break;
      }
      case 'key set': {
        const set = createLocalJWKSet({
          keys: [
            { ...key.jwk, kid: 'k1' },
            { ...pool.weakRsa.jwk, kid: 'weak' },
          ],
        });
        const ours = createKeySetJwsVerifier(algorithms, set as unknown as KeyLookup);
        setups.push({
          name: `${key.family} key set [${algorithms.join(',')}]`,
          key,
          algorithms,
          ours,
          jose: (token) => jwtVerify(token, set as JWTVerifyGetKey, { ...joseOptions, algorithms: [...algorithms] }),
          joseKey: set as JWTVerifyGetKey,
        });
        return;
      }
    }
    const bound = await loadKey(material, algorithms);
    const name = `${key.family}/${key.verifier.symmetricKeySize ?? key.verifier.asymmetricKeyDetails?.modulusLength ?? ''} ${form} [${algorithms.join(',')}]`;
    const jose = (token: string) => jwtVerify(token, joseKey, { ...joseOptions, algorithms: [...algorithms] });
    setups.push({ name, key, algorithms, ours: createStaticJwsVerifier(bound), jose, joseKey });
    // The elliptic curves' checks on the thread pool: judged against jose like the synchronous core.
    const pooled = createPooledJwsVerifier(bound);
    if (pooled !== undefined)
      setups.push({ name: `${name} on the thread pool`, key, algorithms, ours: pooled, jose, joseKey, onPool: true });
  };
  for (const key of pool.keys) {
    const algs = algorithmsOf(key);
    await add(key, 'KeyObject', algs);
    await add(key, 'JWK', algs);
    await add(key, 'JWK with alg', [algs[algs.length - 1] as JwsAlgorithm]);
    await add(key, 'CryptoKey', [algs[0] as JwsAlgorithm]);
    if (key.family === 'hmac') await add(key, 'bytes', algs);
    // jose's key sets hold asymmetric keys only; Ed25519 key sets select by "crv".
    else await add(key, 'key set', algs);
  }
  return setups;
}

// ---------------------------------------------------------------------------
// Tokens

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

/** JSON text of a claims set, with infinite numbers written as 1e400 (which JSON.parse reads back as Infinity). */
function claimsJson(claims: Record<string, unknown>): string {
  return JSON.stringify(claims, (_key, value: unknown) => (value === Infinity ? '\u0000inf' : value === -Infinity ? '\u0000-inf' : value))
    .replaceAll('"\\u0000inf"', '1e400')
    .replaceAll('"\\u0000-inf"', '-1e400');
}

const ALL_ALGS = Object.keys(JWS_ALGORITHMS) as JwsAlgorithm[];

type SignerChoice =
  | { kind: 'own' }
  | { kind: 'other key'; index: number }
  /** HS* keyed with the verifier's public key in some encoding: the classic confusion. */
  | { kind: 'public key as secret'; encoding: 'spki der' | 'spki pem' | 'jwk json' | 'pkcs1 pem' }
  | { kind: 'unsigned' };

type HeaderExtra =
  | { kind: 'none' }
  | { kind: 'fields'; fields: Record<string, unknown> }
  | { kind: 'not an object'; value: unknown }
  | { kind: 'raw bytes'; bytes: Uint8Array }
  | { kind: 'bom' };

type PayloadChoice =
  | { kind: 'claims'; claims: Record<string, unknown> }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw bytes'; bytes: Uint8Array }
  | { kind: 'bom'; claims: Record<string, unknown> }
  | { kind: 'empty' }
  /** With "b64": false and crit ["b64"]: the payload goes in as it is. */
  | { kind: 'unencoded'; text: string };

type Mutation =
  | { kind: 'flip bit'; segment: number; at: number; bit: number }
  | { kind: 'replace char'; at: number; char: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'segments'; how: 'swap 0 1' | 'swap 1 2' | 'swap 0 2' | 'drop' | 'duplicate' | 'append' }
  | { kind: 'reencode'; segment: number; how: 'pad' | 'standard alphabet' | 'space' | 'spare bits' }
  | { kind: 'set alg'; value: unknown }
  | { kind: 'empty signature' };

export interface Case {
  readonly setup: number;
  readonly alg: { pick: 'allowed' | 'any'; index: number };
  readonly signer: SignerChoice;
  readonly header: HeaderExtra;
  readonly payload: PayloadChoice;
  readonly mutations: readonly Mutation[];
}

/** Claims without time claims: the core checks no claims, jose checks exp and nbf when present. */
const plainClaims = fc.dictionary(
  fc
    .oneof(fc.constantFrom('jti', 'sub', 'sid', 'iss', 'aud', 'scope', 'admin', '__proto__', 'constructor'), fc.string({ maxLength: 8 }))
    .filter((name) => !['exp', 'nbf', 'iat'].includes(name)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 6 },
);

export function caseArbitrary(
  setups: number,
  keys: number,
  claims: fc.Arbitrary<Record<string, unknown>> = plainClaims,
): fc.Arbitrary<Case> {
  const header: fc.Arbitrary<HeaderExtra> = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('fields' as const),
        fields: fc.dictionary(
          fc.constantFrom('typ', 'kid', 'crit', 'b64', 'cty', 'jwk', 'x5u', 'zip', 'alg', 'extra'),
          fc.oneof(
            fc.constantFrom(
              'JWT',
              'at+jwt',
              'k1',
              'weak',
              'weak',
              true,
              false,
              ['b64'],
              ['exp'],
              [],
              [''],
              ['b64', 'b64'],
              ['b64', 'x'],
              'b64',
              7,
              null,
            ),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          { maxKeys: 3 },
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('fields' as const),
        fields: fc.record(
          {
            crit: fc.constantFrom(['exp'], ['b64'], [], [''], ['b64', 'b64'], ['b64', 'x'], 'b64', ['x'], [1]),
            b64: fc.constantFrom(true, false, 'false', 0),
            exp: fc.constant(1),
          },
          { requiredKeys: ['crit'] },
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('fields' as const), fields: fc.record({ kid: fc.constantFrom('k1', 'weak') }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('not an object' as const), value: fc.jsonValue({ maxDepth: 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw bytes' as const), bytes: fc.uint8Array({ maxLength: 12 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
  );
  const payload: fc.Arbitrary<PayloadChoice> = fc.oneof(
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('claims' as const), claims }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw bytes' as const), bytes: fc.uint8Array({ maxLength: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bom' as const), claims }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('unencoded' as const),
        text: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/), fc.constantFrom('{"sub":"x"}', '$.02', 'a b')),
      }),
    },
  );
  const signer: fc.Arbitrary<SignerChoice> = fc.oneof(
    { weight: 12, arbitrary: fc.constant({ kind: 'own' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('other key' as const), index: fc.nat(keys - 1) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('public key as secret' as const),
        encoding: fc.constantFrom('spki der' as const, 'spki pem' as const, 'jwk json' as const, 'pkcs1 pem' as const),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'unsigned' as const }) },
  );
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip bit' as const), segment: fc.nat(2), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({
      kind: fc.constant('replace char' as const),
      at: fc.nat(),
      char: fc.constantFrom('A', 'B', 'Q', 'g', 'w', '0', '-', '_', '+', '/', '=', ' ', '.', '\n', 'é'),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('segments' as const),
      how: fc.constantFrom(
        'swap 0 1' as const,
        'swap 1 2' as const,
        'swap 0 2' as const,
        'drop' as const,
        'duplicate' as const,
        'append' as const,
      ),
    }),
    fc.record({
      kind: fc.constant('reencode' as const),
      segment: fc.nat(2),
      how: fc.constantFrom('pad' as const, 'standard alphabet' as const, 'space' as const, 'spare bits' as const),
    }),
    fc.record({
      kind: fc.constant('set alg' as const),
      value: fc.oneof(
        fc.constantFrom(...ALL_ALGS, 'none', 'None', 'hs256', 'HS256 ', '', 'RSA-OAEP', 'ES256K'),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    }),
    fc.constant({ kind: 'empty signature' as const }),
  );
  return fc.record({
    setup: fc.nat(setups - 1),
    alg: fc.record({ pick: fc.constantFrom('allowed' as const, 'allowed' as const, 'allowed' as const, 'any' as const), index: fc.nat() }),
    signer,
    header,
    payload,
    mutations: fc.oneof(
      { weight: 2, arbitrary: fc.constant([]) },
      { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) },
    ),
  });
}

function publicKeyBytes(key: KeyPairEntry, encoding: 'spki der' | 'spki pem' | 'jwk json' | 'pkcs1 pem'): Buffer {
  if (key.verifier.type === 'secret') return key.verifier.export();
  switch (encoding) {
    case 'spki der':
      return key.verifier.export({ type: 'spki', format: 'der' });
    case 'spki pem':
      return Buffer.from(key.verifier.export({ type: 'spki', format: 'pem' }) as string);
    case 'jwk json':
      return Buffer.from(JSON.stringify(key.jwk));
    case 'pkcs1 pem':
      return key.verifier.asymmetricKeyType === 'rsa'
        ? Buffer.from(key.verifier.export({ type: 'pkcs1', format: 'pem' }) as string)
        : key.verifier.export({ type: 'spki', format: 'der' });
  }
}

function familyOfAlg(alg: string): Family | undefined {
  if (alg.startsWith('HS')) return 'hmac';
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'rsa';
  return ({ ES256: 'ec256', ES384: 'ec384', ES512: 'ec521', EdDSA: 'ed25519', Ed25519: 'ed25519' } as Record<string, Family>)[alg];
}

function mutate(token: string, m: Mutation): string {
  const parts = token.split('.');
  const seg = (i: number) => parts[i % parts.length] ?? '';
  switch (m.kind) {
    case 'flip bit': {
      const index = m.segment % parts.length;
      const bytes = Buffer.from(seg(index), 'base64url');
      if (bytes.length === 0) return token;
      const at = m.at % bytes.length;
      bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
      parts[index] = b64(bytes);
      return parts.join('.');
    }
    case 'replace char': {
      if (token.length === 0) return m.char;
      const at = m.at % token.length;
      return token.slice(0, at) + m.char + token.slice(at + 1);
    }
    case 'truncate':
      return token.slice(0, m.at % (token.length + 1));
    case 'segments': {
      const swap = (a: number, b: number) => {
        const copy = [...parts];
        [copy[a], copy[b]] = [copy[b] as string, copy[a] as string];
        return copy.join('.');
      };
      switch (m.how) {
        case 'swap 0 1':
          return swap(0, 1);
        case 'swap 1 2':
          return swap(1, 2);
        case 'swap 0 2':
          return swap(0, 2);
        case 'drop':
          return parts.slice(0, -1).join('.');
        case 'duplicate':
          return [...parts, parts[parts.length - 1]].join('.');
        case 'append':
          return `${token}.`;
      }
      break;
    }
    case 'reencode': {
      const index = m.segment % parts.length;
      const text = seg(index);
      switch (m.how) {
        case 'pad':
          parts[index] = text + '='.repeat((4 - (text.length % 4)) % 4 || 1);
          break;
        case 'standard alphabet':
          parts[index] = Buffer.from(text, 'base64url').toString('base64');
          break;
        case 'space':
          parts[index] = `${text.slice(0, 4)} ${text.slice(4)}`;
          break;
        case 'spare bits': {
          // Set the spare low bits of the last character, which a lenient decoder ignores.
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const last = alphabet.indexOf(text.charAt(text.length - 1));
          if (last < 0 || text.length % 4 === 0) return token;
          parts[index] = text.slice(0, -1) + alphabet.charAt(last | 1);
          break;
        }
      }
      return parts.join('.');
    }
    case 'set alg': {
      try {
        const header = JSON.parse(Buffer.from(seg(0), 'base64url').toString('utf8')) as Record<string, unknown>;
        if (typeof header !== 'object' || header === null) return token;
        header['alg'] = m.value;
        parts[0] = b64(JSON.stringify(header));
        return parts.join('.');
      } catch {
        return token;
      }
    }
    case 'empty signature':
      return `${parts.slice(0, 2).join('.')}.`;
  }
}

/** The token a case describes. */
export function buildToken(c: Case, setups: readonly Setup[], pool: KeyPool): string {
  const setup = setups[c.setup % setups.length] as Setup;
  const alg =
    c.alg.pick === 'allowed'
      ? (setup.algorithms[c.alg.index % setup.algorithms.length] as string)
      : (ALL_ALGS[c.alg.index % ALL_ALGS.length] as string);
  let headerObject: Record<string, unknown> = { alg };
  let headerSegment: string;
  if (c.header.kind === 'fields') headerObject = { ...headerObject, ...c.header.fields, ...('alg' in c.header.fields ? {} : { alg }) };
  if (c.payload.kind === 'unencoded') headerObject = { ...headerObject, b64: false, crit: ['b64'] };
  switch (c.header.kind) {
    case 'not an object':
      headerSegment = b64(JSON.stringify(c.header.value) ?? '');
      break;
    case 'raw bytes':
      headerSegment = b64(c.header.bytes);
      break;
    case 'bom':
      headerSegment = b64(`\ufeff${JSON.stringify(headerObject)}`);
      break;
    default:
      headerSegment = b64(JSON.stringify(headerObject));
  }
  let payloadSegment: string;
  switch (c.payload.kind) {
    case 'claims':
      payloadSegment = b64(claimsJson(c.payload.claims));
      break;
    case 'json':
      payloadSegment = b64(JSON.stringify(c.payload.value) ?? '');
      break;
    case 'raw bytes':
      payloadSegment = b64(c.payload.bytes);
      break;
    case 'bom':
      payloadSegment = b64(`\ufeff${claimsJson(c.payload.claims)}`);
      break;
    case 'empty':
      payloadSegment = '';
      break;
    case 'unencoded':
      payloadSegment = c.payload.text;
      break;
  }
  const input = `${headerSegment}.${payloadSegment}`;
  let signature: Buffer;
  try {
    switch (c.signer.kind) {
      case 'own': {
        const family = familyOfAlg(alg);
        // An algorithm the verifier's key cannot make: sign with a pool key of the right type.
        const key =
          family === setup.key.family ? setup.key : pool.keys.find((k) => k.family === family && (k.verifier.symmetricKeySize ?? 64) >= 64);
        signature = key === undefined ? Buffer.alloc(0) : signInput(alg, key.family === 'hmac' ? key.signer.export() : key.signer, input);
        break;
      }
      case 'other key': {
        const key = pool.keys[c.signer.index % pool.keys.length] as KeyPairEntry;
        signature = signInput(alg, key.family === 'hmac' ? key.signer.export() : key.signer, input);
        break;
      }
      case 'public key as secret': {
        const hs = alg.startsWith('HS') ? alg : 'HS256';
        headerSegment = b64(JSON.stringify({ ...headerObject, alg: hs }));
        signature = signInput(hs, publicKeyBytes(setup.key, c.signer.encoding), `${headerSegment}.${payloadSegment}`);
        break;
      }
      case 'unsigned':
        signature = Buffer.alloc(0);
        break;
    }
  } catch {
    // The chosen key cannot make this algorithm's signature: send garbage of a plausible length.
    signature = Buffer.alloc(64, 1);
  }
  let token = `${headerSegment}.${payloadSegment}.${b64(signature)}`;
  for (const m of c.mutations) token = mutate(token, m);
  return token;
}

// ---------------------------------------------------------------------------
// The comparison

export async function oursVerdict(setup: Setup, token: string): Promise<Verdict> {
  try {
    return { accepted: true, payload: (await setup.ours(token)).payload };
  } catch (err) {
    if (err instanceof JwsError) return { accepted: false, reason: err.reason, message: err.message };
    // The key set's own errors (no matching key) pass through the core unchanged.
    if (err instanceof joseErrors.JOSEError) return joseVerdictOf(err);
    throw new Error(`the core threw something other than a JwsError: ${String(err)}`, { cause: err });
  }
}

export async function joseVerdict(setup: Setup, token: string): Promise<Verdict> {
  try {
    return { accepted: true, payload: (await setup.jose(token)).payload };
  } catch (err) {
    return joseVerdictOf(err);
  }
}

export interface Tally {
  cases: number;
  accepted: number;
  /** Refusals by class, both agreeing. */
  readonly refused: Map<string, number>;
  /** Tokens only the core refused, for not being canonical base64url. */
  stricter: number;
  /** Of the cases, those judged by a setup that checks on the thread pool, and of those, the ones both accepted. */
  readonly pooled: { cases: number; accepted: number };
}

export function newTally(): Tally {
  return { cases: 0, accepted: 0, refused: new Map(), stricter: 0, pooled: { cases: 0, accepted: 0 } };
}

/**
 * Compares one token; throws (failing the property) when the two disagree
 * beyond the one documented difference.
 */
export async function compare(setup: Setup, token: string, tally: Tally): Promise<void> {
  const [ours, jose] = await Promise.all([oursVerdict(setup, token), joseVerdict(setup, token)]);
  tally.cases++;
  const pooled = setup.onPool === true;
  if (pooled) tally.pooled.cases++;
  if (!isCanonicalCompact(token)) {
    if (ours.accepted || ours.reason !== 'malformed') {
      throw new Error(`${setup.name}: a non-canonical token got ${JSON.stringify(ours)} from the core: ${token}`);
    }
    if (!jose.accepted && jose.reason === 'malformed') tally.refused.set('malformed', (tally.refused.get('malformed') ?? 0) + 1);
    else tally.stricter++;
    return;
  }
  if (ours.accepted !== jose.accepted || (!ours.accepted && !jose.accepted && ours.reason !== jose.reason)) {
    throw new Error(`${setup.name}: core ${JSON.stringify(ours)} but jose ${JSON.stringify(jose)} for ${token}`);
  }
  if (ours.accepted && jose.accepted) {
    if (JSON.stringify(ours.payload) !== JSON.stringify(jose.payload)) {
      throw new Error(`${setup.name}: payloads differ for ${token}: ${JSON.stringify(ours.payload)} vs ${JSON.stringify(jose.payload)}`);
    }
    tally.accepted++;
    if (pooled) tally.pooled.accepted++;
  } else if (!ours.accepted) {
    tally.refused.set(ours.reason, (tally.refused.get(ours.reason) ?? 0) + 1);
  }
}

/** A deterministic source of randomness for key generation from a seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the property; returns the tally. */
export async function runDifferential(options: { numRuns: number; seed: number; log?: (line: string) => void }): Promise<Tally> {
  const pool = await createKeyPool(seededRandom(options.seed));
  const setups = await createSetups(pool);
  const tally = newTally();
  let next = 10_000;
  await fc.assert(
    fc.asyncProperty(caseArbitrary(setups.length, pool.keys.length), async (c) => {
      const setup = setups[c.setup % setups.length] as Setup;
      await compare(setup, buildToken(c, setups, pool), tally);
      if (options.log !== undefined && tally.cases >= next) {
        options.log(`${tally.cases} cases`);
        next += 10_000;
      }
    }),
    { numRuns: options.numRuns, seed: options.seed, endOnFailure: true },
  );
  return tally;
}
