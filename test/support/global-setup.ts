import type { TestProject } from 'vitest/node';
import { provideRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** One Redis shared by the suites that do not need their own; each suite uses its own key prefix. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await provideRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
