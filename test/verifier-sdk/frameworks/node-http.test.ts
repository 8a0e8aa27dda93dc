import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { nodeAuth } from '@revocast/verifier-sdk/node';
import { createNodeServer } from '../../../examples/frameworks/node-http.js';
import { memoryStore, testVerifier } from '../../support/fixtures.js';
import { closeServer, integrationSuite, listen, sdkRefusal, socketClient } from './integration-suite.js';

integrationSuite('node:http authenticate', {
  async start(verifier) {
    const server = await listen(createNodeServer(verifier));
    return { request: socketClient(server), close: () => closeServer(server) };
  },
  refusal: sdkRefusal,
  carriesReason: true,
});

describe('nodeAuth', () => {
  it('answers a refusal itself and resolves undefined, so the handler writes nothing more', async () => {
    const verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const authenticate = nodeAuth(verifier);
    const results: unknown[] = [];
    const server = await listen(
      createServer(async (req, res) => {
        results.push(await authenticate(req, res));
        if (!res.writableEnded) res.end('handler');
      }),
    );
    try {
      const answer = await socketClient(server)('/', {});
      expect(answer).toMatchObject({ status: 401, body: { error: 'ERR_TOKEN_MISSING' } });
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(results).toEqual([undefined]);
    } finally {
      await closeServer(server);
      await verifier.close();
    }
  });
});
