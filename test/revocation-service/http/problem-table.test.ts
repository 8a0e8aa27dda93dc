import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpProblem, PROBLEMS, PROBLEM_CODES, type ProblemCode } from '../../../revocation-service/src/http/problem.js';
import { RecordOwnedError } from '../../../revocation-service/src/store/revocation-store.js';

const SOURCE = 'revocation-service/src';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The first argument of every `new HttpProblem(` in the service's source, with where it stands. */
function problemCallSites(): Array<{ where: string; code: string }> {
  return sourceFiles(SOURCE).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/new HttpProblem\(\s*([^,)]+)/g)].map((match) => ({
      where: file,
      code: (match[1] as string).trim(),
    })),
  );
}

/** The rows of the README's table of the service's problem codes: code and status. */
function readmeProblems(): Array<[string, number]> {
  const readme = readFileSync('README.md', 'utf8');
  const heading = readme.indexOf('Revocation service (problem `code`');
  expect(heading).toBeGreaterThan(0);
  const table = readme.slice(heading, readme.indexOf('\n\n', readme.indexOf('| code |', heading)));
  return [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1] as string, Number(m[2])]);
}

describe('the problem table', () => {
  it('holds every problem code the source answers with', () => {
    const sites = problemCallSites();
    // The scan found the call sites (there are over twenty), so an empty result cannot pass for a clean one.
    expect(sites.length).toBeGreaterThan(20);
    const literal = sites.filter((site) => site.code.startsWith("'"));
    const unknown = literal.filter((site) => !(site.code.slice(1, -1) in PROBLEMS));
    expect(unknown).toEqual([]);
    // The one call that passes a code through: an error of the store that already carries a problem code.
    expect(sites.filter((site) => !site.code.startsWith("'"))).toEqual([
      { where: join(SOURCE, 'http/error-handler.ts'), code: 'err.code' },
    ]);
    // And no entry is dead: every code in the table is answered somewhere.
    const answered = new Set([...literal.map((site) => site.code.slice(1, -1)), new RecordOwnedError().code]);
    expect([...answered].sort()).toEqual([...PROBLEM_CODES].sort());
  });

  it('gives each code its one status and title, whatever the call site', () => {
    for (const code of PROBLEM_CODES) {
      const problem = new HttpProblem(code, 'what went wrong');
      expect(problem.status).toBe(PROBLEMS[code].status);
      expect(problem.code).toBe(code);
      expect(problem.message).toBe('what went wrong');
      expect(PROBLEMS[code].title).not.toBe('');
    }
    expect(new HttpProblem('ERR_STORE_UNAVAILABLE', 'down').status).toBe(503);
    expect(new HttpProblem('ERR_REDIS_OWNED_BY_RECORD', 'owned').status).toBe(409);
  });

  it('is the table the README documents, code for code and status for status', () => {
    const documented = readmeProblems();
    const table = PROBLEM_CODES.map((code): [ProblemCode, number] => [code, PROBLEMS[code].status]);
    expect([...documented].sort()).toEqual([...table].sort());
  });
});
