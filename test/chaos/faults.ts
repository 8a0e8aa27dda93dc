import { command, type RedisSentinelHandle } from '../support/redis-topologies.js';
import type { Random } from './random.js';
import type { RemoteVerifier } from './remote-verifier.js';
import type { ServiceProcess } from './service-process.js';

export const FAULT_KINDS = [
  'redis-kill-restart',
  'redis-restart-empty',
  'subscriber-kill',
  'sentinel-failover',
  'service-kill',
  'redis-pause',
  'verifier-stall',
  'redis-refuse-writes',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** What a fault does, in words, for the report. */
export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'redis-kill-restart': 'kill -9 of the Redis master, restarted with its append-only file',
  'redis-restart-empty': 'kill -9 of the Redis master, restarted with no data (the replica resyncs to empty)',
  'subscriber-kill': 'CLIENT KILL TYPE pubsub on both Redis nodes',
  'sentinel-failover': 'SENTINEL FAILOVER (forced) to the replica',
  'service-kill': 'kill -9 of one service replica with requests in flight, restarted',
  'redis-pause': 'SIGSTOP of the Redis master for 1-3 s (Sentinel may fail over), then SIGCONT',
  'verifier-stall': 'the event loop of the verifier process held by synchronous work for 1-8 s (budget 5 s)',
  'redis-refuse-writes':
    'the Redis master refusing writes, answering reads, for 2-8 s (maxmemory 1 with noeviction, or min-replicas-to-write above its replicas)',
};

export interface FaultContext {
  readonly redis: RedisSentinelHandle;
  readonly services: readonly ServiceProcess[];
  readonly random: Random;
  /** Requests in flight to a service replica. */
  readonly inFlight: (service: ServiceProcess) => number;
  /** The verifier that runs in its own process, whose event loop can be held. */
  readonly remote: RemoteVerifier;
}

/**
 * Waits until the fault can be injected as meant (a failover needs a synced
 * replica), so that waiting is not counted in the fault's duration.
 */
export async function prepare(kind: FaultKind, context: FaultContext): Promise<void> {
  if (kind === 'sentinel-failover') await context.redis.replicaInSync();
}

/** Puts the fault in place, holds it, and takes it away; resolves once healed. Returns a short note of what was hit. */
export async function inject(kind: FaultKind, context: FaultContext): Promise<string> {
  const { redis, services, random, inFlight, remote } = context;
  const hold = (min: number, max: number) => new Promise((resolve) => setTimeout(resolve, random.between(min, max)));
  switch (kind) {
    case 'redis-kill-restart': {
      const master = await redis.master();
      await master.kill();
      await hold(200, 1500);
      await redis.restart(master);
      return `master :${master.port}`;
    }
    case 'redis-restart-empty': {
      const master = await redis.master();
      await master.kill();
      await hold(50, 300);
      await redis.restart(master, { wipe: true });
      return `master :${master.port}`;
    }
    case 'subscriber-kill': {
      for (const node of redis.servers) await command(node.url, 'CLIENT', 'KILL', 'TYPE', 'pubsub').catch(() => {});
      return 'both nodes';
    }
    case 'sentinel-failover': {
      try {
        return `to :${(await redis.failover()).port}`;
      } catch (err) {
        // Sentinel refused or timed out (a replica still resyncing after an earlier fault): the system must cope all the same.
        return `not completed: ${(err as Error).message}`;
      }
    }
    case 'service-kill': {
      const victim = random.pick(services.filter((s) => s.up));
      // Mid-request: wait (a little) for the victim to be busy.
      for (let waited = 0; inFlight(victim) === 0 && waited < 2000; waited += 2) await new Promise((resolve) => setTimeout(resolve, 2));
      const cut = inFlight(victim);
      await victim.kill();
      await hold(200, 1500);
      await victim.start();
      return `${victim.name}, ${cut} in flight`;
    }
    case 'redis-pause': {
      const master = await redis.master();
      master.pause();
      await hold(1000, 3000);
      master.resume();
      return `master :${master.port}`;
    }
    case 'verifier-stall': {
      const ms = random.between(1000, 8000);
      await remote.stall(ms);
      return `${ms} ms`;
    }
    case 'redis-refuse-writes': {
      const master = await redis.master();
      const memory = random.next() < 0.5;
      // Reads (the head, the watermark, TIME) still answer; every write is refused.
      if (memory) await command(master.url, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'maxmemory', '1');
      else await command(master.url, 'CONFIG', 'SET', 'min-replicas-to-write', '5');
      try {
        await hold(2000, 8000);
      } finally {
        await command(master.url, 'CONFIG', 'SET', 'maxmemory', '0', 'min-replicas-to-write', '0');
      }
      return `master :${master.port}, ${memory ? 'maxmemory' : 'min-replicas-to-write'}`;
    }
  }
}
