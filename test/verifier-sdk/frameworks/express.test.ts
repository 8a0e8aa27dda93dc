import { createExpressApp } from '../../../examples/frameworks/express.js';
import { closeServer, integrationSuite, listen, sdkRefusal, socketClient } from './integration-suite.js';
import { createServer } from 'node:http';

integrationSuite('Express middleware', {
  async start(verifier) {
    const server = await listen(createServer(createExpressApp(verifier)));
    return { request: socketClient(server), close: () => closeServer(server) };
  },
  refusal: sdkRefusal,
  carriesReason: true,
});
