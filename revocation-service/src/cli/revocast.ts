#!/usr/bin/env node
/**
 * `revocast`: the admin CLI. Usage and exit codes: `revocast --help`,
 * docs/cli.md.
 */
import { createProgram } from './program.js';

const program = createProgram({
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.on('SIGINT', () => process.exit(0));
// `revocast tail | head`: a reader that goes away ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.exitCode = await program.run(process.argv.slice(2));
