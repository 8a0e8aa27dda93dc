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
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
