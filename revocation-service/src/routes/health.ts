import { Router } from 'express';
import type { Registry } from 'prom-client';
import { HttpProblem } from '../http/problem.js';
import { openApiDocument } from '../openapi/openapi-document.js';
import type { RevocationStore } from '../store/revocation-store.js';

/** `/healthz` (the process is up), `/readyz` (the store answers), `/metrics` and `/openapi.json`. */
export function healthRoutes(store: RevocationStore, registry: Registry): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
    } catch (err) {
      throw new HttpProblem('ERR_STORE_UNAVAILABLE', 'the revocation store is not reachable', { cause: err });
    }
    res.json({ status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  return router;
}
