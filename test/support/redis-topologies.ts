import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisHandle, type RedisServerOptions } from './redis-server.js';

const run = promisify(execFile);

/**
 * Sends one command to one node, on a short-lived connection. Bounded: a
 * node that accepts the connection but never answers (stopped, or stuck
 * loading) fails the command instead of hanging whoever asked.
 */
export async function command(url: string, ...args: Array<string | number>): Promise<unknown> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 5000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

async function until(predicate: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A Redis Cluster of three masters (no replicas) that a test owns. */
export interface RedisClusterHandle {
  readonly nodes: readonly RedisHandle[];
  /** `redis+cluster://…` naming every node. */
  readonly url: string;
  /** The node that owns the slot of `key`. */
  ownerOf(key: string): Promise<RedisHandle>;
  stop(): Promise<void>;
}

/** Starts three `redis-server --cluster-enabled` nodes on free ports and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const nodes = await Promise.all(
    [0, 1, 2].map(() =>
      startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }),
    ),
  );
  try {
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    );
    for (const node of nodes) {
      await until(
        async () => String(await command(node.url, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        `cluster node ${node.port} not ok`,
      );
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  return {
    nodes,
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    async ownerOf(key) {
      const slot = Number(await command(nodes[0]!.url, 'CLUSTER', 'KEYSLOT', key));
      const shards = (await command(nodes[0]!.url, 'CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]]]>;
      const owner = shards.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const node = nodes.find((n) => n.port === owner);
      if (node === undefined) throw new Error(`no node owns slot ${slot}`);
      return node;
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

export const MASTER_NAME = 'revocast';

/** A master, one replica and three Sentinels that a test owns. */
export interface RedisSentinelHandle {
  /** The two data nodes; which one is master changes with failovers. */
  readonly servers: readonly RedisHandle[];
  readonly sentinels: readonly RedisHandle[];
  /** `redis+sentinel://…/revocast` naming every Sentinel. */
  readonly url: string;
  /** The data node the Sentinels currently name as master. */
  master(): Promise<RedisHandle>;
  /** Waits until the replica is in sync with the master, as Sentinel needs it to be for a failover. */
  replicaInSync(): Promise<void>;
  /** Forces a failover (`SENTINEL FAILOVER`) and waits until the Sentinels name the other node and it accepts writes. */
  failover(): Promise<RedisHandle>;
  /**
   * Starts a data node again (optionally without its data) in the role the
   * Sentinels give it: master if they still name it, else replica of the master.
   */
  restart(node: RedisHandle, options?: { wipe?: boolean }): Promise<void>;
  /**
   * Makes every data node but the master a replica of it, as the Sentinels do
   * on their next 10-second INFO round, so the next failover finds a synced replica.
   */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelOptions {
  /** Data nodes keep an append-only file, so a kill and restart keeps the data. */
  readonly persist?: boolean;
  /** How long a master may not answer before the Sentinels fail over. Default 1000 ms. */
  readonly downAfterMs?: number;
  /** Replicas of the master. Default 1. */
  readonly replicas?: number;
}

/** Starts a master, a replica of it and three Sentinels watching it, on free ports. */
export async function startRedisSentinel(options: SentinelOptions = {}): Promise<RedisSentinelHandle> {
  const base: RedisServerOptions = options.persist === true ? { persist: true } : {};
  const debug = ['--enable-debug-command', 'local'];
  const primary = await startRedisServer({ ...base, args: debug });
  const replicas = await Promise.all(
    Array.from({ length: options.replicas ?? 1 }, () =>
      startRedisServer({ ...base, args: [...debug, '--replicaof', '127.0.0.1', String(primary.port)] }),
    ),
  );
  const servers = [primary, ...replicas];
  const config = [
    `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${options.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${MASTER_NAME} 10000`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n');
  const sentinels = await Promise.all([0, 1, 2].map(() => startRedisServer({ sentinelConfig: config })));
  const all = [...servers, ...sentinels];

  async function masterPort(): Promise<number> {
    for (const sentinel of sentinels) {
      try {
        const reply = (await command(sentinel.url, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string] | null;
        if (reply !== null) return Number(reply[1]);
      } catch {
        // That Sentinel is down; ask the next.
      }
    }
    throw new Error('no Sentinel answered');
  }

  async function master(): Promise<RedisHandle> {
    const port = await masterPort();
    const node = servers.find((s) => s.port === port);
    if (node === undefined) throw new Error(`Sentinels name an unknown master on port ${port}`);
    return node;
  }

  async function writable(node: RedisHandle): Promise<boolean> {
    const role = (await command(node.url, 'ROLE')) as [string];
    return role[0] === 'master';
  }

  async function replicaInSync(): Promise<void> {
    // Sentinel only promotes a replica that is in sync; after a restart it may still be loading.
    await until(
      async () => {
        const port = await masterPort();
        const candidate = servers.find((s) => s.port !== port) as RedisHandle;
        return String(await command(candidate.url, 'INFO', 'replication')).includes('master_link_status:up');
      },
      'the replica did not sync',
      30_000,
    );
  }

  async function settle(): Promise<void> {
    const port = await masterPort();
    for (const node of servers) {
      if (node.port === port) continue;
      await command(node.url, 'REPLICAOF', '127.0.0.1', port).catch(() => {
        // Down: it is given the right role when it starts again.
      });
    }
  }

  try {
    for (const node of replicas) {
      await until(
        async () => String(await command(node.url, 'INFO', 'replication')).includes('master_link_status:up'),
        'replica not in sync',
      );
    }
    // Every Sentinel has found the replica and its peers: a failover can be agreed.
    for (const sentinel of sentinels) {
      await until(async () => {
        const info = (await command(sentinel.url, 'SENTINEL', 'MASTER', MASTER_NAME)) as string[];
        const field = (name: string) => Number(info[info.indexOf(name) + 1]);
        return field('num-slaves') >= replicas.length && field('num-other-sentinels') >= 2;
      }, `Sentinel ${sentinel.port} did not see the replica and its peers`);
    }
  } catch (err) {
    await Promise.all(all.map((n) => n.stop()));
    throw err;
  }

  return {
    servers,
    sentinels,
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${MASTER_NAME}`,
    master,
    replicaInSync,
    async failover() {
      await replicaInSync();
      const before = await masterPort();
      for (let attempt = 1; ; attempt++) {
        try {
          await command(sentinels[attempt % sentinels.length]!.url, 'SENTINEL', 'FAILOVER', MASTER_NAME);
          break;
        } catch (err) {
          // NOGOODSLAVE while the replica is still syncing after an earlier fault: try again shortly.
          if (attempt >= 50) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      let promoted: RedisHandle | undefined;
      await until(async () => {
        const port = await masterPort();
        promoted = servers.find((s) => s.port === port);
        return port !== before && promoted !== undefined && (await writable(promoted));
      }, 'the failover did not complete');
      await settle();
      return promoted as RedisHandle;
    },
    async restart(node, how = {}) {
      await node.kill();
      if (how.wipe === true) node.wipe();
      const port = await masterPort();
      await node.start(port === node.port ? debug : [...debug, '--replicaof', '127.0.0.1', String(port)]);
    },
    settle,
    stop: async () => {
      await Promise.all(all.map((n) => n.stop()));
    },
  };
}
