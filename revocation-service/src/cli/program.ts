import { setTimeout as delay } from 'node:timers/promises';
import { Command, CommanderError, Option } from 'commander';
import { AdminClient, CliError } from './admin-client.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { DEFAULTS, DEFAULT_SERVICE_URL } from '../config/defaults.js';
import { formatDuration } from '../config/duration.js';
import { SERVICE_VERSION } from '../version.js';
import { changeLine, idOf, revocationDetails, revocationTable, verifierTable } from './format.js';
import { parseTime } from './parse-time.js';

/** Where the CLI reads and writes; the real process by default, buffers in tests. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

interface GlobalOptions {
  url?: string;
  json?: boolean;
  timeout: string;
}

const TYPES = ['token', 'subject', 'session'];

/** `--wait` alone waits the service's default; `--wait 500ms` or `--wait 5s` sets the timeout. */
function waitQuery(wait: string | boolean | undefined): string {
  if (wait === undefined || wait === false) return '';
  return wait === true ? '?wait=all' : `?wait=all&timeout=${encodeURIComponent(wait)}`;
}

function checkType(type: string): void {
  if (!TYPES.includes(type)) throw new CliError(`type must be one of ${TYPES.join(', ')} (got ${JSON.stringify(type)})`, EXIT.usage);
}

/**
 * Builds the `revocast` program. `run` resolves with the exit code instead of
 * exiting, so the program can be driven in-process too.
 */
export function createProgram(io: CliIo): { run(argv: readonly string[]): Promise<ExitCode> } {
  let exitCode: ExitCode = EXIT.ok;
  const program = new Command('revocast')
    .description('Revoke JWTs, inspect revocations and watch them reach every verifier.')
    .version(SERVICE_VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--url <url>', 'revocation service URL').env('REVOCAST_URL').default(DEFAULT_SERVICE_URL))
    .option('--json', 'print the API answers as JSON (tail: one JSON object per line)')
    .option('--timeout <seconds>', 'give up on a request after this many seconds', String(DEFAULTS.cliRequestTimeoutSeconds))
    .addHelpText(
      'after',
      `
Environment:
  REVOCAST_URL        the service URL (or --url), default ${DEFAULT_SERVICE_URL}
  REVOCAST_ADMIN_KEY  the admin key secret; never passed as an argument, so it stays out of process lists

Exit codes: 0 done, 1 failure, 2 usage, 3 not found, 4 key refused or missing scope,
5 request refused as invalid, 6 service unreachable/unavailable/rate limited,
7 recorded but not confirmed by every live verifier before the --wait timeout.`,
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showHelpAfterError('(add --help for usage)');

  const client = (): AdminClient => {
    const options = program.opts<GlobalOptions>();
    const key = io.env.REVOCAST_ADMIN_KEY;
    if (key === undefined || key === '') throw new CliError('set REVOCAST_ADMIN_KEY to an admin key secret', EXIT.usage);
    const seconds = Number(options.timeout);
    if (!(seconds > 0)) throw new CliError('--timeout must be a positive number of seconds', EXIT.usage);
    try {
      new URL(options.url ?? DEFAULT_SERVICE_URL);
    } catch {
      throw new CliError(`--url / REVOCAST_URL is not a URL: ${JSON.stringify(options.url)}`, EXIT.usage);
    }
    return new AdminClient({ url: options.url ?? DEFAULT_SERVICE_URL, key, timeoutMs: seconds * 1000 });
  };
  const json = () => program.opts<GlobalOptions>().json === true;
  const print = (answer: unknown, text: () => string) => io.out(`${json() ? JSON.stringify(answer, null, 2) : text()}\n`);

  /** Prints the outcome of a change; exit 7 when the wait ended without every verifier. */
  const reportChange = (answer: Record<string, unknown>, summary: string) => {
    const propagation = answer.propagation as { message: string; complete: boolean } | undefined;
    print(answer, () => (propagation === undefined ? summary : `${summary}\n${propagation.message}`));
    if (propagation !== undefined && !propagation.complete) exitCode = EXIT.incomplete;
  };

  const revoke = program.command('revoke').description('revoke a token, everything a subject holds, or a session');
  const revokeCommand = (
    type: 'token' | 'subject' | 'session',
    description: string,
    configure: (command: Command) => Command,
    body: (id: string, options: Record<string, string | undefined>) => Record<string, unknown>,
  ) =>
    configure(revoke.command(`${type} <${type === 'token' ? 'jti' : type === 'subject' ? 'sub' : 'sid'}>`).description(description))
      .option('--reason <text>', 'why, for the audit log')
      .option(
        '--wait [timeout]',
        `answer once every live verifier applied it (default timeout ${formatDuration(DEFAULTS.waitTimeoutMs)}; e.g. 500ms, 5s)`,
      )
      .action(async (id: string, options: Record<string, string | undefined> & { wait?: string | boolean }) => {
        const payload = { type, ...body(id, options), ...(options.reason === undefined ? {} : { reason: options.reason }) };
        const answer = await client().request<Record<string, unknown>>('POST', `/v1/revocations${waitQuery(options.wait)}`, payload);
        const offset = answer.offset === undefined ? '' : ` (offset ${String(answer.offset)})`;
        reportChange(answer, `revoked ${type} ${id}${offset}`);
      });

  revokeCommand(
    'token',
    'revoke one token by its jti, until its exp',
    (c) =>
      c
        .requiredOption('--exp <time>', "the token's exp: epoch seconds, ISO date or +15m")
        .option('--sub <sub>', 'the user it belongs to, for listing'),
    (_id, o) => ({ jti: _id, exp: parseTime(o.exp as string, '--exp'), ...(o.sub === undefined ? {} : { sub: o.sub }) }),
  );
  revokeCommand(
    'subject',
    'revoke every token of a user issued at or before a cutoff (sign out everywhere)',
    (c) => c.option('--before <time>', 'the cutoff: epoch seconds or ISO date (default now)'),
    (id, o) => ({ sub: id, ...(o.before === undefined ? {} : { before: parseTime(o.before, '--before') }) }),
  );
  revokeCommand(
    'session',
    'revoke every token that carries this sid',
    (c) =>
      c
        .option('--exp <time>', 'when the session ends (default: the maximum token lifetime from now)')
        .option('--sub <sub>', 'the user it belongs to, for listing'),
    (id, o) => ({
      sid: id,
      ...(o.exp === undefined ? {} : { exp: parseTime(o.exp, '--exp') }),
      ...(o.sub === undefined ? {} : { sub: o.sub }),
    }),
  );

  program
    .command('list')
    .description('list live revocations')
    .option('--type <type>', 'only this type: token, subject or session')
    .option('--sub <sub>', "only this user's revocations")
    .option('--limit <n>', 'page size, 1 to 1000', String(DEFAULTS.listLimit))
    .option('--all', 'follow every page')
    .action(async (options: { type?: string; sub?: string; limit: string; all?: boolean }) => {
      if (options.type !== undefined) checkType(options.type);
      const api = client();
      const items: Array<Record<string, unknown>> = [];
      let cursor: string | null = null;
      let nextCursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.type !== undefined) query.set('type', options.type);
        if (options.sub !== undefined) query.set('sub', options.sub);
        if (cursor !== null) query.set('cursor', cursor);
        const page = await api.request<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>(
          'GET',
          `/v1/revocations?${query}`,
        );
        items.push(...page.items);
        nextCursor = page.nextCursor;
        cursor = options.all === true ? page.nextCursor : null;
      } while (cursor !== null);
      // --json keeps the cursor, so a script can fetch the next page itself.
      print({ items, nextCursor }, () => revocationTable(items) + (nextCursor === null ? '' : `\n(more on the next page: add --all)`));
    });

  program
    .command('show <type> <id>')
    .description('show one revocation (type: token, subject or session)')
    .action(async (type: string, id: string) => {
      checkType(type);
      const record = await client().request<Record<string, unknown>>('GET', `/v1/revocations/${type}/${encodeURIComponent(id)}`);
      print(record, () => revocationDetails(record));
    });

  program
    .command('reinstate <type> <id>')
    .description('lift a revocation (type: token, subject or session)')
    .option('--reason <text>', 'why, for the audit log')
    .option('--wait [timeout]', `answer once every live verifier applied it (default timeout ${formatDuration(DEFAULTS.waitTimeoutMs)})`)
    .action(async (type: string, id: string, options: { reason?: string; wait?: string | boolean }) => {
      checkType(type);
      const query = new URLSearchParams(waitQuery(options.wait).slice(1));
      if (options.reason !== undefined) query.set('reason', options.reason);
      const suffix = query.size === 0 ? '' : `?${query}`;
      const answer = await client().request<Record<string, unknown>>(
        'DELETE',
        `/v1/revocations/${type}/${encodeURIComponent(id)}${suffix}`,
      );
      reportChange(
        answer,
        `reinstated ${type} ${String(idOf(answer.reinstated as Record<string, unknown>))} (offset ${String(answer.offset)})`,
      );
    });

  program
    .command('verifiers')
    .description('list live verifiers and how far behind each one is')
    .action(async () => {
      const listing = await client().request<{ head: { epoch: string | null; offset: number }; verifiers: Array<Record<string, unknown>> }>(
        'GET',
        '/v1/verifiers',
      );
      print(listing, () => verifierTable(listing));
    });

  program
    .command('tail')
    .description('print every change as it is published, until interrupted; reconnects and resumes where it stopped')
    .action(async () => {
      const api = client();
      let lastEventId: string | undefined;
      let attempt = 0;
      for (;;) {
        try {
          for await (const { event, data, id } of api.events('/v1/changes/stream', lastEventId)) {
            attempt = 0;
            if (id !== undefined) lastEventId = id;
            if (event !== 'change') continue;
            io.out(`${json() ? data : changeLine(JSON.parse(data) as Record<string, unknown>)}\n`);
          }
        } catch (err) {
          // A refused key or a missing scope will not fix itself; an unreachable or restarting service may.
          if (!(err instanceof CliError) || err.exitCode !== EXIT.unavailable) throw err;
        }
        if (attempt === 0)
          io.err(
            `revocast: the change stream closed; reconnecting${lastEventId === undefined ? '' : ` and resuming after ${lastEventId}`}\n`,
          );
        await delay(Math.min(DEFAULTS.cliReconnectMs.first * 2 ** attempt, DEFAULTS.cliReconnectMs.max));
        attempt += 1;
      }
    });

  return {
    async run(argv) {
      exitCode = EXIT.ok;
      try {
        await program.parseAsync(argv, { from: 'user' });
        return exitCode;
      } catch (err) {
        if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
        if (err instanceof CliError) {
          if (json() && err.body !== undefined) io.out(`${JSON.stringify(err.body, null, 2)}\n`);
          io.err(`revocast: ${err.message}\n`);
          return err.exitCode;
        }
        io.err(`revocast: ${(err as Error).message}\n`);
        return EXIT.failure;
      }
    },
  };
}
