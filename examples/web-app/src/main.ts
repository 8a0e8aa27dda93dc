import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  MemoryFleet,
  MemoryStore,
  RedisFleet,
  RedisStore,
  createApp,
  createLogger,
  loadConfig,
  parseAdminKeys,
  startPruner,
  type RevocationStore,
  type VerifierFleet,
} from '@revocast/revocation-service';
import { createVerifier } from '@revocast/verifier-sdk';
import { createWebApp } from './web-app.js';

/**
 * The main job: the revocation service and an example web server in one
 * process. Without REDIS_URL they share an in-memory store; with it they go
 * through Redis exactly as separate processes would.
 */
const logger = createLogger((process.env.LOG_LEVEL as 'info' | undefined) ?? 'info');
const config = loadConfig({ ...process.env, REVOCAST_ADMIN_KEYS: '' });
const adminKey = parseAdminKeys(process.env.REVOCAST_ADMIN_KEYS)[0] ?? { name: 'demo', secret: randomBytes(18).toString('base64url') };
const signingSecret = process.env.DEMO_SIGNING_SECRET ?? randomBytes(32).toString('base64url');
const host = process.env.HOST ?? '127.0.0.1';
const webPort = Number(process.env.PORT ?? 3000);
const servicePort = Number(process.env.SERVICE_PORT ?? 8080);
const maxTokenTtlMs = config.maxTokenTtl * 1000;
const retentionGraceMs = config.retentionGrace * 1000;

let store: RevocationStore;
let fleet: VerifierFleet;
let verifierSource: { redis: string; keyPrefix: string } | { source: ReturnType<MemoryStore['feed']> };
if (process.env.REDIS_URL) {
  store = new RedisStore({ redis: config.redisUrl, keyPrefix: config.keyPrefix, maxTokenTtlMs, retentionGraceMs });
  fleet = new RedisFleet({ redis: config.redisUrl, keyPrefix: config.keyPrefix });
  verifierSource = { redis: config.redisUrl, keyPrefix: config.keyPrefix };
  logger.info({ redis: new URL(config.redisUrl).host }, 'using Redis: run more instances against it and they all stay in sync');
} else {
  const memory = new MemoryStore({ maxTokenTtlMs, retentionGraceMs });
  const memoryFleet = new MemoryFleet(memory);
  store = memory;
  fleet = memoryFleet;
  verifierSource = { source: memoryFleet.feed() };
  logger.warn('embedded mode: the service and the verifier share an in-memory store that serves this one process only; set REDIS_URL to use Redis');
}

const verifier = createVerifier({ ...verifierSource, key: signingSecret, algorithms: ['HS256'], logger });
const service = createApp({ store, fleet, adminKeys: [adminKey], logger, maxTokenTtl: config.maxTokenTtl });
const web = createWebApp({ verifier, signingSecret });
const stopPruner = startPruner(store, logger);

function listen(app: { listen(port: number, host: string, cb: () => void): Server }, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}

await Promise.all([store.ready(), verifier.ready()]);
const [serviceServer, webServer] = await Promise.all([listen(service, servicePort), listen(web, webPort)]);
const serviceUrl = `http://${host}:${(serviceServer.address() as AddressInfo).port}`;
const webUrl = `http://${host}:${(webServer.address() as AddressInfo).port}`;

process.stdout.write(`
Revocast is running.
  web app:             ${webUrl}
  revocation service:  ${serviceUrl}   (admin key "${adminKey.name}": ${adminKey.secret})

Try it:
  TOKEN=$(curl -s -X POST ${webUrl}/api/token -d username=alice -d password=alice-password)
  curl -i ${webUrl}/api/hello -H "Authorization: Bearer $TOKEN"            # 200
  curl -s -X POST ${serviceUrl}/v1/revocations -H "Authorization: Bearer ${adminKey.secret}" \\
       -H 'Content-Type: application/json' -d '{"type":"subject","sub":"alice","reason":"demo"}'
  curl -i ${webUrl}/api/hello -H "Authorization: Bearer $TOKEN"            # 401, revoked

Press Ctrl+C to stop.
`);

function shutdown(): void {
  stopPruner();
  serviceServer.close();
  webServer.close();
  serviceServer.closeAllConnections();
  webServer.closeAllConnections();
  void Promise.allSettled([verifier.close(), store.close(), fleet.close()]).then(() => process.exit(0));
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
