import type { Redis } from 'ioredis';

/** A Redis node's own CPU seconds so far (`INFO cpu`: used_cpu_user + used_cpu_sys, every thread). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 'NaN');
  return field('used_cpu_user') + field('used_cpu_sys');
}
