/**
 * The wire protocol shared by the revocation service and every verifier:
 * Redis key and channel names, message encoding, the offset/epoch rules and
 * the list's rules (widening, cutoff, pruning), with the Lua fragments the
 * Redis writers are assembled from. It imports nothing heavy, so both sides
 * can depend on it. PROTOCOL.md at the repository root specifies it for
 * other languages, with conformance vectors in `protocol/vectors/`.
 *
 * @packageDocumentation
 */
export {
  CLAIM_OF_TYPE,
  MAX_ID_LENGTH,
  MEMBER_SEPARATOR,
  REVOCATION_TYPES,
  isRevocationType,
  memberOf,
  parseMember,
  type Entry,
  type RevocationType,
} from './entry.js';
export { idProblem, isValidId } from './id.js';
export { coveredByCutoff, cutoffOf } from './cutoff.js';
export { reachOf, widens } from './widening.js';
export { enforcedUntil, isEnforced } from './pruning.js';
export { DEFAULT_KEY_PREFIX, DURABLE_MARK, LOG_FIELDS, META, keyPrefixProblem, redisKeys, type RedisKeys } from './keys.js';
export { changeFromWire, decodeChange, encodeChange, type Change } from './change.js';
export {
  MESSAGE_SEPARATOR,
  decodeLogEntry,
  decodeMessage,
  decodeMessages,
  encodeBatchMessage,
  encodeLogEntry,
  encodeMessage,
  encodeMessages,
  encodePosition,
  isEpoch,
  isStreamId,
  parseOffset,
  type Message,
} from './message.js';
export { START_POSITION, compareHead, nextStep, parseHead, type Head, type Position, type Standing, type Step } from './sequence.js';
export { UndecodableChangeError, type SyncSource } from './source.js';
export {
  READ_HEAD_SCRIPT,
  READ_TIME_SCRIPT,
  WRITE_HEAD_WATERMARK_SCRIPT,
  decodeWatermark,
  encodeWatermark,
  redisTimeMs,
  withWatermark,
  type Watermark,
} from './watermark.js';
export {
  MANIFEST_FIELDS,
  SNAPSHOT_FORMAT,
  SNAPSHOT_SEGMENT_BYTES,
  SnapshotDecodeError,
  decodeManifest,
  decodeSnapshotSegment,
  encodeManifest,
  encodeSnapshotSegment,
  planSegments,
  snapshotFits,
  snapshotSize,
  type SnapshotEncoding,
  type SnapshotFit,
  type SnapshotManifest,
} from './snapshot.js';
export {
  decodeAck,
  decodeAckRequest,
  decodeReport,
  encodeAck,
  encodeAckRequest,
  encodeReport,
  isVerifierId,
  type Ack,
  type PresenceChannel,
  type VerifierReport,
} from './presence.js';
export { LUA_PROTOCOL } from './lua-protocol.js';
export { RedisUrlError, parseRedisTarget, type RedisNode, type RedisTarget } from './redis-target.js';
