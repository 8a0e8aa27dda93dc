import { Registry } from 'prom-client';
import { ConfigError } from './config/config-error.js';
import { loadConfig, type ServiceConfig } from './config/load-config.js';
import { createService } from './create-service.js';
import { collectProcessMetrics } from './metrics/process-metrics.js';

/** Exit code for a bad configuration (EX_CONFIG), so a supervisor does not restart into the same mistake. */
const EX_CONFIG = 78;

function exitOnConfigError(err: unknown): never {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`revocast: invalid configuration: ${err.message}`);
  process.exit(EX_CONFIG);
}

function configOrExit(): ServiceConfig {
  try {
    return loadConfig();
  } catch (err) {
    return exitOnConfigError(err);
  }
}

const config = configOrExit();
// Process and Node.js metrics are the process's, next to the service's own.
const registry = new Registry();
collectProcessMetrics(registry);
const service = createService(config, { registry });
const { logger } = service;
try {
  await service.ready();
} catch (err) {
  exitOnConfigError(err);
}

try {
  const { port } = await service.listen();
  logger.info(
    {
      host: config.host,
      port,
      keyPrefix: config.keyPrefix,
      adminKeys: config.adminKeys.map((k) => k.name),
      record: config.database === undefined ? 'redis' : 'postgres',
    },
    'revocation service listening',
  );
} catch (err) {
  logger.fatal({ err }, 'could not start the HTTP server');
  process.exit(1);
}

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new requests, finishing the ones in flight');
  // Open change streams end at once; their clients resume elsewhere with Last-Event-ID.
  service
    .close()
    .catch((err: unknown) => logger.warn({ err }, 'a connection did not close cleanly'))
    .finally(() => {
      logger.info('stopped');
      process.exit(0);
    });
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
