import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ConfigError, MemoryFleet, MemoryStore, createLogger, createService, type AdminKey } from '@revocast/revocation-service';
import { createVerifier, type VerifierOptions } from '@revocast/verifier-sdk';
import { seedDemoUsers } from './auth/demo-users.js';
import { loadExampleConfig, type ExampleConfig } from './config.js';
import { createRevocationClient } from './revocation-client.js';
import type { AppStore } from './store/app-store.js';
import { MemoryAppStore } from './store/memory-app-store.js';
import { RedisAppStore } from './store/redis-app-store.js';
import { createWebApp } from './web-app.js';

/**
 * The main job: the example web app, with the revocation service embedded in
 * the same process (the default) or running as its own process
 * (REVOCAST_SERVICE_URL). Without REDIS_URL everything lives in this
 * process's memory; with it, revocations and the app's own state go through
 * Redis, and more instances of the app act as one.
 */
function exitOnConfigError(err: unknown): never {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`revocast example: invalid configuration: ${err.message}`);
  process.exit(78);
}

function configOrExit(): ExampleConfig {
  try {
    return loadExampleConfig();
  } catch (err) {
    return exitOnConfigError(err);
  }
}

const config = configOrExit();
const { service: serviceConfig, redisUrl } = config;
const logger = createLogger(serviceConfig.logLevel);
const signingSecret = config.signingSecret ?? randomBytes(32).toString('base64url');
if (config.signingSecret === undefined && redisUrl !== undefined) {
  logger.warn('DEMO_SIGNING_SECRET is not set: this instance signs with a random secret, so other instances will not accept its sign-ins');
}

function listen(app: { listen(port: number, host: string, cb: () => void): Server }, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, config.host, () => resolve(server));
    server.once('error', reject);
  });
}
const urlOf = (server: Server) => `http://${config.host}:${(server.address() as AddressInfo).port}`;

interface EmbeddedService {
  readonly url: string;
  readonly demoKey: AdminKey;
  readonly appKey: AdminKey;
  close(): Promise<void>;
}

/** The revocation service inside this process. The app calls it over loopback with a key of its own, so its revocations are audited as "web-app". */
async function startEmbeddedService(): Promise<{ embedded: EmbeddedService; source: Pick<VerifierOptions, 'redis' | 'source'> }> {
  const demoKey = serviceConfig.adminKeys[0] ?? { name: 'demo', secret: randomBytes(32).toString('base64url') };
  const appKey = { name: 'web-app', secret: randomBytes(24).toString('base64url') };
  // The embedded service records in Redis or in memory, never in PostgreSQL: DATABASE_URL is the separate service's.
  const { database: _separateServiceOnly, ...settings } = serviceConfig;
  const service = createService(
    {
      ...settings,
      host: config.host,
      port: config.servicePort,
      adminKeys: [...(serviceConfig.adminKeys.length > 0 ? serviceConfig.adminKeys : [demoKey]), appKey],
    },
    {
      logger,
      // Without Redis, the service, its fleet and admin state, and the verifier all live in this process.
      ...(redisUrl === undefined
        ? {
            store: new MemoryStore({
              maxTokenTtlMs: serviceConfig.maxTokenTtl * 1000,
              retentionGraceMs: serviceConfig.retentionGrace * 1000,
            }),
          }
        : {}),
    },
  );
  if (service.fleet instanceof MemoryFleet) {
    logger.warn(
      'embedded mode: the service and the verifier share an in-memory store that serves this one process only; set REDIS_URL to use Redis',
    );
  }
  // With Redis, every instance of the app shares the admin keys' rate limits and the console sessions through it.
  await Promise.all([service.store.ready(), service.adminState.ready()]);
  const { url } = await service.listen();
  return {
    source: service.fleet instanceof MemoryFleet ? { source: service.fleet.feed() } : { redis: redisUrl as string },
    embedded: { url, demoKey, appKey, close: () => service.close() },
  };
}

const { embedded, source } =
  // A key the embedded service cannot use (REVOCAST_JWT_*) is found as it starts: a configuration error like any other.
  config.remoteService === undefined
    ? await startEmbeddedService().catch(exitOnConfigError)
    : { embedded: undefined, source: { redis: redisUrl as string } };
if (redisUrl !== undefined)
  logger.info({ redis: new URL(redisUrl).host }, 'using Redis: run more instances against it and they act as one app');

const appStore: AppStore =
  redisUrl === undefined ? new MemoryAppStore() : new RedisAppStore({ redis: redisUrl, keyPrefix: config.appKeyPrefix });
const verifier = createVerifier({ ...source, keyPrefix: serviceConfig.keyPrefix, key: signingSecret, algorithms: ['HS256'], logger });
const serviceUrl = embedded?.url ?? (config.remoteService as { url: string }).url;
const revocations = createRevocationClient({
  url: serviceUrl,
  adminKey: embedded?.appKey.secret ?? (config.remoteService as { adminKey: string }).adminKey,
});

await Promise.all([appStore.ready(), verifier.ready()]);
await seedDemoUsers(appStore);
const web = createWebApp({
  verifier,
  store: appStore,
  revocations,
  signingSecret,
  accessTokenTtl: config.accessTokenTtl,
  refreshTokenTtl: config.refreshTokenTtl,
  trustProxy: config.trustProxy,
  logger,
});
const webServer = await listen(web, config.port);
const webUrl = urlOf(webServer);
const adminSecret = embedded === undefined ? '$REVOCAST_ADMIN_KEY' : embedded.demoKey.secret;

process.stdout.write(`
Revocast is running.
  web app:             ${webUrl}   open it in a browser, sign in as alice / alice-password
  revocation service:  ${serviceUrl}   ${embedded === undefined ? '(its own process)' : `(admin key "${embedded.demoKey.name}": ${embedded.demoKey.secret})`}

Try it in a browser: examples/web-app/README.md walks through signing in on two devices.

Try it with curl:
  TOKEN=$(curl -s -X POST ${webUrl}/api/token -d username=alice -d password=alice-password)
  curl -i ${webUrl}/api/hello -H "Authorization: Bearer $TOKEN"            # 200
  curl -s -X POST ${serviceUrl}/v1/revocations -H "Authorization: Bearer ${adminSecret}" \\
       -H 'Content-Type: application/json' -d '{"type":"subject","sub":"alice","reason":"demo"}'
  curl -i ${webUrl}/api/hello -H "Authorization: Bearer $TOKEN"            # 401, revoked

Press Ctrl+C to stop.
`);

function shutdown(): void {
  webServer.closeAllConnections();
  webServer.close();
  void Promise.allSettled([verifier.close(), appStore.close(), embedded?.close()]).then(() => process.exit(0));
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
