import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import pg from 'pg';
import { createVerifier, type Logger, type Verifier } from '@revocast/verifier-sdk';
import { ADMIN_SECRET, DATABASE_URL, SECRET } from '../support/fixtures.js';
import { freePort } from '../support/redis-server.js';
import { command, startRedisSentinel, type RedisSentinelHandle } from '../support/redis-topologies.js';
import { Checker, type CheckerFigures } from './checker.js';
import { faultSchedule } from './fault-schedule.js';
import { FAULT_KINDS, inject, prepare, type FaultKind } from './faults.js';
import { seededRandom } from './random.js';
import { RemoteVerifier } from './remote-verifier.js';
import { serviceProcess, type ServiceProcess } from './service-process.js';
import { Workload, type WorkloadCounts } from './workload.js';

export interface ChaosOptions {
  /** How long faults are injected while the workload runs; longer if the first pass over every kind needs it. */
  readonly durationMs: number;
  readonly seed: number;
  /** Revocations per second the workload aims for. */
  readonly rate: number;
  /** The verifiers' maxStaleness: a revoked token accepted later than this after its acknowledgement is a late accept. */
  readonly budgetMs: number;
  readonly replicas: number;
  /** Verifiers in the harness process; one more runs in its own process (its event loop is a fault target). */
  readonly verifiers: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /**
   * Inject no fault after the run has taken this long, whatever the schedule
   * still holds, so a machine that crawls ends the run with a report (and
   * its processes stopped) instead of hanging its caller. Default: none.
   */
  readonly deadlineMs?: number;
}

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly note: string;
  /** From the start of the run. */
  readonly atMs: number;
  /** From the fault being taken away until every verifier serves every change committed by then; undefined if it never did. */
  readonly recoveryMs: number | undefined;
  /** From the fault's start until that same point. */
  readonly disruptionMs: number | undefined;
}

export interface ChaosReport {
  readonly options: Omit<ChaosOptions, 'log'>;
  readonly elapsedMs: number;
  readonly acknowledged: Record<'token' | 'subject' | 'session', number> & { total: number };
  readonly workload: WorkloadCounts;
  /** Acknowledged, never reinstated, and missing from the record or from a verifier at the end. */
  readonly lost: string[];
  readonly checker: CheckerFigures;
  readonly faults: FaultRecord[];
  /** Entries in the record at the end; every verifier must hold exactly these. */
  readonly recordEntries: number;
  /** Per verifier, what differed from the record at the end (empty when equal). */
  readonly mismatches: string[];
  readonly converged: boolean;
  readonly reseeds: Record<string, number>;
  readonly reconcileRepairs: number;
  /** How late the harness's own event loop ran (its verifiers share it): p99 and max, ms. */
  readonly harnessDelayMs: { readonly p99: number; readonly max: number };
  /** The run reached `deadlineMs` and stopped injecting before the schedule was done. */
  readonly cutShort: boolean;
  readonly logDir: string;
}

/** A verifier's info, warning and error lines, as JSON, into `file`. */
function fileLogger(file: string, verifier: number): Logger {
  const line = (level: string) => (fields: object, msg: string) =>
    appendFileSync(file, `${JSON.stringify({ level, time: Date.now(), verifier, ...fields, msg })}\n`);
  return { debug() {}, info: line('info'), warn: line('warn'), error: line('error') };
}
const RECOVERY_TIMEOUT_MS = 60_000;
/** No step of the harness (injecting a fault, stopping the workload) may hang the run: past this it fails, and the run goes on. */
const STEP_TIMEOUT_MS = 120_000;

/** `work`, or a rejection naming `what` once `ms` have passed. */
function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the chaos experiment: PostgreSQL as the record, Redis as a master, a
 * replica and three Sentinels (append-only files on), service replicas as
 * processes, verifiers in this process and one in its own. A workload revokes continuously
 * while faults are injected one after another at random; a checker asks
 * every verifier about every acknowledged revocation throughout.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const random = seededRandom(options.seed);
  const runId = randomBytes(4).toString('hex');
  const schema = `chaos_${runId}`;
  const logDir = mkdtempSync(join(tmpdir(), 'revocast-chaos-'));
  const started = Date.now();
  const since = () => Date.now() - started;
  const stackTraceLimit = Error.stackTraceLimit;
  // The checker makes revoked checks by the hundred thousand: stack traces would dominate its cost.
  Error.stackTraceLimit = 0;

  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const lastOffset = async (): Promise<number> => {
    const { rows } = await db.query<{ last_offset: string }>(`SELECT last_offset FROM "${schema}".history`);
    return Number(rows[0]?.last_offset ?? 0);
  };

  let redis: RedisSentinelHandle | undefined;
  const services: ServiceProcess[] = [];
  const verifiers: Verifier[] = [];
  const remote = new RemoteVerifier();
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  try {
    log(`seed ${options.seed}, run ${runId}, logs in ${logDir}`);
    redis = await startRedisSentinel({ persist: true, downAfterMs: 1000 });
    log(`Redis master :${(await redis.master()).port}, Sentinels ${redis.url}`);
    const env = {
      DATABASE_URL,
      REDIS_URL: redis.url,
      REVOCAST_DATABASE_SCHEMA: schema,
      REVOCAST_KEY_PREFIX: schema,
      REVOCAST_ADMIN_KEYS: `chaos:${ADMIN_SECRET}`,
      REVOCAST_OUTBOX_INTERVAL: '250ms',
      REVOCAST_RECONCILE_INTERVAL: '10s',
      LOG_LEVEL: 'info',
    };
    for (let i = 0; i < options.replicas; i++) {
      services.push(serviceProcess(`service-${i + 1}`, await freePort(), env, join(logDir, `service-${i + 1}.log`)));
    }
    await Promise.all(services.map((s) => s.start()));
    for (let i = 0; i < options.verifiers; i++) {
      verifiers.push(
        createVerifier({
          redis: redis.url,
          keyPrefix: schema,
          key: SECRET,
          algorithms: ['HS256'],
          maxStaleness: options.budgetMs / 1000,
          pollInterval: 0.25,
          commandTimeout: 0.5,
          logger: fileLogger(join(logDir, 'verifiers.log'), i),
        }),
      );
    }
    await Promise.all(verifiers.map((v) => v.ready()));
    await remote.start({
      REDIS_URL: redis.url,
      KEY_PREFIX: schema,
      BUDGET_MS: String(options.budgetMs),
      POLL_INTERVAL: '0.25',
      COMMAND_TIMEOUT: '0.5',
      LOG_FILE: join(logDir, 'verifier-process.log'),
    });
    log(`${services.length} service replicas and ${verifiers.length} + 1 verifiers ready after ${since()} ms`);

    const workload = new Workload({
      services,
      random,
      rate: options.rate,
      workers: 4,
      runId,
      clock: Date.now,
      onAcknowledged: (r) => remote.track(r.id, r.claims, r.ackAt as number),
      onReinstating: (r) => remote.untrack(r.id),
    });
    const checker = new Checker(verifiers, workload, options.budgetMs, Date.now, [remote]);
    workload.start();
    checker.start(250, 25);

    const recovered = async (): Promise<number | undefined> => {
      const healedAt = Date.now();
      const target = await lastOffset();
      for (;;) {
        const remoteStatus = remote.status;
        const ready =
          verifiers.every((v) => {
            const status = v.status;
            return status.state === 'ready' && !status.stale && status.offset >= target;
          }) &&
          remoteStatus !== undefined &&
          remoteStatus.state === 'ready' &&
          !remoteStatus.stale &&
          remoteStatus.offset >= target;
        if (ready) return Date.now() - healedAt;
        if (Date.now() - healedAt > RECOVERY_TIMEOUT_MS) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const faults: FaultRecord[] = [];
    const runUntil = Date.now() + options.durationMs;
    // Every kind once, in a fixed order, however long that takes; then at random until the time is up.
    const schedule = faultSchedule<FaultKind>(FAULT_KINDS, random);
    let cutShort = false;
    const withinDeadline = () => {
      if (options.deadlineMs === undefined || since() < options.deadlineMs) return true;
      cutShort = true;
      return false;
    };
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (
      let kind = schedule.next(Date.now() < runUntil);
      kind !== undefined && withinDeadline();
      kind = schedule.next(Date.now() < runUntil)
    ) {
      const context = { redis, services, random, remote, inFlight: (s: ServiceProcess) => workload.inFlight(s) };
      // The harness itself can trip over a Redis in transition; the run goes on and says so.
      const harnessError = (err: unknown) => `harness error: ${(err as Error).message}`;
      const unprepared = await bounded(prepare(kind, context), STEP_TIMEOUT_MS, `preparing ${kind}`).then(() => undefined, harnessError);
      const atMs = since();
      const note = unprepared ?? (await bounded(inject(kind, context), STEP_TIMEOUT_MS, `injecting ${kind}`).catch(harnessError));
      await bounded(redis.settle(), STEP_TIMEOUT_MS, 'settling the replicas').catch(() => {});
      const healedMs = since();
      const recoveryMs = await recovered();
      const disruptionMs = recoveryMs === undefined ? undefined : healedMs + recoveryMs - atMs;
      faults.push({ kind, note, atMs, recoveryMs, disruptionMs });
      if (recoveryMs === undefined) {
        // Say who did not recover, and where each data node stands, for the logs.
        const statuses = [...verifiers.map((v) => v.status), remote.status];
        const nodes = await Promise.all(
          redis.servers.map(async (node) => {
            const info = String(await command(node.url, 'INFO', 'replication').catch((err: Error) => err.message));
            const clients = String(await command(node.url, 'CLIENT', 'LIST').catch(() => ''));
            return {
              port: node.port,
              role: /role:(\w+)/.exec(info)?.[1],
              verifierConnections: clients.split('\n').filter((c) => c.includes('name=revocast-verifier')).length,
              info,
            };
          }),
        );
        appendFileSync(
          join(logDir, 'verifiers.log'),
          `${JSON.stringify({ msg: 'not recovered', kind, target: await lastOffset(), statuses, nodes })}\n`,
        );
      }
      log(
        `${(atMs / 1000).toFixed(1).padStart(6)} s (${new Date(started + atMs).toISOString().slice(11, 23)})  ${kind.padEnd(20)} ${note.padEnd(24)} ` +
          (recoveryMs === undefined ? 'NEVER recovered' : `recovered ${recoveryMs} ms after it ended, ${disruptionMs} ms after it began`),
      );
      await new Promise((resolve) => setTimeout(resolve, random.between(500, 2000)));
    }

    log('faults over; stopping the workload and waiting for every verifier to converge');
    if (cutShort) log(`deadline of ${options.deadlineMs} ms reached: no more faults`);
    await bounded(workload.stop(), STEP_TIMEOUT_MS, 'stopping the workload').catch((err: Error) => log(`harness error: ${err.message}`));
    const converged = (await recovered()) !== undefined;
    checker.sweep(true);
    checker.stop();

    const { rows } = await db.query<{ member: string; type: string; id: string; cutoff: string | null }>(
      `SELECT member, type, id, cutoff FROM "${schema}".revocations`,
    );
    const record = new Map(rows.map((row) => [row.member, row]));
    const mismatches: string[] = [];
    for (const [index, v] of verifiers.entries()) {
      const counts = v.status.entries;
      const expected = { token: 0, subject: 0, session: 0 };
      for (const row of rows) expected[row.type as keyof typeof expected]++;
      if (JSON.stringify(counts) !== JSON.stringify(expected))
        mismatches.push(`verifier ${index}: holds ${JSON.stringify(counts)}, record ${JSON.stringify(expected)}`);
      for (const row of rows) {
        const claims =
          row.type === 'token'
            ? { jti: row.id }
            : row.type === 'session'
              ? { sid: row.id }
              : { sub: row.id, iat: Number(row.cutoff) / 1000 };
        if (!v.isRevoked(claims)) mismatches.push(`verifier ${index}: does not reject ${row.member}`);
        // A subject's cutoff is the same to the millisecond: a token one millisecond younger passes.
        if (row.type === 'subject' && v.isRevoked({ sub: row.id, iat: (Number(row.cutoff) + 1) / 1000 }))
          mismatches.push(`verifier ${index}: cutoff of ${row.member} differs`);
      }
    }
    const member = (type: string, id: string) => `${type === 'token' ? 'jti' : type === 'session' ? 'sid' : 'sub'}:${id}`;
    // The verifier process answers the same questions: the record's entries (and a subject's cutoff, to the millisecond), and what is in force.
    const claimsOf = (row: (typeof rows)[number], shiftMs = 0) =>
      row.type === 'token'
        ? { jti: row.id }
        : row.type === 'session'
          ? { sid: row.id }
          : { sub: row.id, iat: (Number(row.cutoff) + shiftMs) / 1000 };
    const remoteAnswer = await remote.final([
      ...rows.map((row) => ({ member: row.member, claims: claimsOf(row), revoked: true })),
      ...rows
        .filter((row) => row.type === 'subject')
        .map((row) => ({ member: `cutoff of ${row.member}`, claims: claimsOf(row, 1), revoked: false })),
      ...workload.inForce().map((r) => ({ member: `in force ${member(r.type, r.id)}`, claims: r.claims, revoked: true })),
    ]);
    const remoteIndex = verifiers.length;
    {
      const expected = { token: 0, subject: 0, session: 0 };
      for (const row of rows) expected[row.type as keyof typeof expected]++;
      if (JSON.stringify(remoteAnswer.counts) !== JSON.stringify(expected)) {
        mismatches.push(
          `verifier ${remoteIndex} (own process): holds ${JSON.stringify(remoteAnswer.counts)}, record ${JSON.stringify(expected)}`,
        );
      }
      for (const wrong of remoteAnswer.wrong)
        if (!wrong.startsWith('in force ')) mismatches.push(`verifier ${remoteIndex} (own process): wrong answer for ${wrong}`);
    }
    const remoteLost = new Set(remoteAnswer.wrong.filter((w) => w.startsWith('in force ')).map((w) => w.slice('in force '.length)));
    const lost = workload
      .inForce()
      .filter(
        (r) => !record.has(member(r.type, r.id)) || verifiers.some((v) => !v.isRevoked(r.claims)) || remoteLost.has(member(r.type, r.id)),
      )
      .map((r) => member(r.type, r.id));
    // What the verifier process accepted past the budget, unless a reinstate had been sent by then.
    const byId = new Map(workload.revocations.map((r) => [r.id, r]));
    for (const accept of remote.accepts) {
      const revocation = byId.get(accept.id);
      if (revocation?.reinstateSentAt !== undefined && revocation.reinstateSentAt <= accept.at) continue;
      checker.figures.lateAccepts.push({
        verifier: remoteIndex,
        type: revocation?.type ?? '?',
        id: accept.id,
        afterAckMs: accept.afterAckMs,
        at: accept.at,
        offset: revocation?.offset,
        verifierAt: accept.verifierAt,
      });
    }
    const remoteCounts = remote.status?.counts;
    if (remoteCounts !== undefined) {
      checker.figures.checks += remoteCounts.checks;
      checker.figures.refusedStale += remoteCounts.refusedStale;
      checker.figures.acceptedWithinBudget += remoteCounts.acceptedWithinBudget;
      checker.figures.maxServingAgeMs = Math.max(checker.figures.maxServingAgeMs, remoteCounts.maxServingAgeMs);
    }
    for (const r of workload.revocations) {
      if (r.reinstatedAt !== undefined && record.has(member(r.type, r.id)))
        mismatches.push(`record still holds reinstated ${member(r.type, r.id)}`);
    }

    const acked = workload.revocations.filter((r) => r.ackAt !== undefined);
    const count = (type: string) => acked.filter((r) => r.type === type).length;
    return {
      options: {
        durationMs: options.durationMs,
        seed: options.seed,
        rate: options.rate,
        budgetMs: options.budgetMs,
        replicas: options.replicas,
        verifiers: options.verifiers,
      },
      elapsedMs: since(),
      acknowledged: { total: acked.length, token: count('token'), subject: count('subject'), session: count('session') },
      workload: workload.counts,
      lost,
      checker: checker.figures,
      faults,
      recordEntries: rows.length,
      mismatches,
      converged,
      ...serviceLogFigures(services.map((s) => join(logDir, `${s.name}.log`))),
      harnessDelayMs: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      cutShort,
      logDir,
    };
  } finally {
    delay.disable();
    Error.stackTraceLimit = stackTraceLimit;
    await Promise.allSettled(verifiers.map((v) => v.close()));
    await remote.close();
    await Promise.allSettled(services.map((s) => s.kill()));
    await redis?.stop();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await db.end();
  }
}

/** Re-seeds by reason and reconciliation repairs, from the services' JSON log lines. */
function serviceLogFigures(files: readonly string[]): { reseeds: Record<string, number>; reconcileRepairs: number } {
  const reseeds: Record<string, number> = {};
  let reconcileRepairs = 0;
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      let entry: { msg?: string; reason?: string };
      try {
        entry = JSON.parse(line) as { msg?: string; reason?: string };
      } catch {
        continue;
      }
      if (entry.msg?.startsWith('re-seeded Redis') && entry.reason !== undefined) reseeds[entry.reason] = (reseeds[entry.reason] ?? 0) + 1;
      if (entry.msg === 'Redis differs from the record; re-seeding it') reconcileRepairs++;
    }
  }
  return { reseeds, reconcileRepairs };
}
