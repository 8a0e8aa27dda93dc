import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run on the TypeScript sources of the workspace packages: no build needed.
    alias: [
      { find: /^@revocast\/verifier-sdk\/(protocol|node|fastify|koa|hono|nestjs)$/, replacement: source('./verifier-sdk/src/$1/index.ts') },
      { find: /^@revocast\/verifier-sdk$/, replacement: source('./verifier-sdk/src/index.ts') },
      { find: /^@revocast\/revocation-service$/, replacement: source('./revocation-service/src/index.ts') },
    ],
  },
  // NestJS's decorators are the legacy (experimentalDecorators) kind: only its sample and test use them.
  oxc: { decorator: { legacy: true } },
  test: {
    include: ['test/**/*.test.ts'],
    // The public types of both packages (test/types): each expectTypeOf is checked by tsc and reported as a test.
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json' },
    globalSetup: ['test/support/global-setup.ts'],
    // Generous: on a loaded two-core machine CPU-bound property tests and the browser and CLI walkthroughs
    // have taken 15-45 s (idle: a few). Tests wait on conditions, so passing runs are no slower.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
