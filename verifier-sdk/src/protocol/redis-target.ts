/** One `host:port` of a Sentinel or Cluster seed list. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Credentials and TLS, shared by every kind of target. */
interface TargetAuth {
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
}

/**
 * Where Redis is, as both the service and the verifiers read it from one URL:
 *
 * - `redis://[user:pass@]host:port[/db]` or `rediss://…`: one server;
 * - `redis+sentinel://[user:pass@]host:port,host:port/<master name>[/db][?sentinelUsername=…&sentinelPassword=…&role=replica]`:
 *   the master that the Sentinels name, followed across failovers (the
 *   credentials are the master's; the query gives the Sentinels' own);
 *   with `role=replica`, a verifier reads and subscribes on one of the
 *   master's replicas instead (delivery then scales with the replicas),
 *   and writes only its heartbeats and acknowledgements to the master;
 * - `redis+cluster://[user:pass@]host:port,host:port`: a Redis Cluster, seeded
 *   from these nodes. Changes travel on sharded pub/sub (`SPUBLISH`).
 *
 * `rediss+sentinel://` and `rediss+cluster://` use TLS.
 */
export type RedisTarget =
  | { readonly mode: 'standalone'; readonly url: string }
  | (TargetAuth & {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly masterName: string;
      readonly db: number;
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
      /** Where reads and subscriptions go: the master (default), or one of its replicas. */
      readonly role: 'master' | 'replica';
    })
  | (TargetAuth & { readonly mode: 'cluster'; readonly nodes: readonly RedisNode[] });

const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;
const MULTI_HOST = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/?#]*)@)?([^/?#]+)(?:\/([^?#]*))?(?:\?([^#]*))?$/;

/** A problem with a Redis URL. The message never repeats a password. */
export class RedisUrlError extends TypeError {
  constructor(problem: string) {
    super(problem);
    this.name = 'RedisUrlError';
  }
}

function parseNodes(list: string, defaultPort: number): RedisNode[] {
  return list.split(',').map((item) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(item.trim());
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new RedisUrlError(`has an invalid host:port ${JSON.stringify(item)}`);
    }
    return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
  });
}

function parseAuth(userinfo: string | undefined): { username?: string; password?: string } {
  if (userinfo === undefined || userinfo === '') return {};
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  // ioredis reads `user:` with an empty user as the default user, like redis-cli.
  return { ...(username === '' ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

/**
 * Parses a Redis URL into a {@link RedisTarget}; throws {@link RedisUrlError}
 * saying what is wrong.
 *
 * @example
 * ```ts
 * parseRedisTarget('redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/revocast');
 * // { mode: 'sentinel', sentinels: [...], masterName: 'revocast', db: 0, tls: false }
 * ```
 */
const REPLICAS_THROUGH_SENTINEL =
  'replicas are read through Sentinel, which follows them across failures: redis+sentinel://host:26379/<master name>?role=replica';

export function parseRedisTarget(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RedisUrlError('must be a URL such as redis://127.0.0.1:6379');
    }
    if (parsed.searchParams.has('role')) throw new RedisUrlError(`of one server takes no role: ${REPLICAS_THROUGH_SENTINEL}`);
    return { mode: 'standalone', url };
  }
  const match = MULTI_HOST.exec(url);
  if (match === null) {
    throw new RedisUrlError(
      'must start with redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://',
    );
  }
  const [, scheme, kind, userinfo, hosts, path = '', query = ''] = match as unknown as [
    string,
    string,
    'sentinel' | 'cluster',
    string | undefined,
    string,
    string | undefined,
    string | undefined,
  ];
  const tls = scheme === 'rediss';
  const auth = { tls, ...parseAuth(userinfo) };
  if (kind === 'cluster') {
    if (new URLSearchParams(query).has('role'))
      throw new RedisUrlError(`of a cluster takes no role: reading from cluster replicas is not supported (${REPLICAS_THROUGH_SENTINEL})`);
    if (path !== '' || query !== '') throw new RedisUrlError('of a cluster takes no path or query: name the nodes only');
    return { mode: 'cluster', nodes: parseNodes(hosts, DEFAULT_PORT.cluster), ...auth };
  }
  const [masterName = '', dbText, ...rest] = path.split('/');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(masterName)) {
    throw new RedisUrlError('of Sentinel must name the master after the hosts, as in redis+sentinel://host:26379/mymaster');
  }
  const db = dbText === undefined || dbText === '' ? 0 : Number(dbText);
  if (rest.length > 0 || !Number.isSafeInteger(db) || db < 0 || !/^\d*$/.test(dbText ?? '')) {
    throw new RedisUrlError('has an invalid database number after the master name');
  }
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'sentinelUsername' && key !== 'sentinelPassword' && key !== 'role') {
      throw new RedisUrlError(`has an unknown parameter ${JSON.stringify(key)} (known: sentinelUsername, sentinelPassword, role)`);
    }
  }
  const role = params.get('role') ?? 'master';
  if (role !== 'master' && role !== 'replica')
    throw new RedisUrlError(`has an unknown role ${JSON.stringify(role)} (known: master, replica)`);
  const sentinelUsername = params.get('sentinelUsername');
  const sentinelPassword = params.get('sentinelPassword');
  return {
    mode: 'sentinel',
    sentinels: parseNodes(hosts, DEFAULT_PORT.sentinel),
    masterName,
    db,
    role,
    ...auth,
    ...(sentinelUsername === null ? {} : { sentinelUsername }),
    ...(sentinelPassword === null ? {} : { sentinelPassword }),
  };
}
