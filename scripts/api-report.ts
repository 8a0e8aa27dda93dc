/**
 * The API reports of both packages, one per subpath export, in api/: `npm run api:check` fails when the
 * built declarations no longer match them, `npm run api:update` writes them anew. Run after `npm run build`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type IConfigFile } from '@microsoft/api-extractor';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['verifier-sdk', 'revocation-service'];
const update = process.argv.includes('--update');

interface Manifest {
  readonly name: string;
  readonly exports: Record<string, string | { readonly types?: string }>;
}

/** `@revocast/verifier-sdk` and `./fastify` → `verifier-sdk.fastify`; the package root → `verifier-sdk`. */
function reportName(packageDir: string, subpath: string): string {
  return subpath === '.' ? packageDir : `${packageDir}.${subpath.slice(2).replaceAll('/', '.')}`;
}

let failed = 0;
mkdirSync(join(root, 'api'), { recursive: true });
for (const packageDir of PACKAGES) {
  const folder = join(root, packageDir);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;
  // Every subpath with types is covered, so a new one gets its report without a change here.
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string' || target.types === undefined) continue;
    const name = reportName(packageDir, subpath);
    const configObject: IConfigFile = {
      projectFolder: folder,
      mainEntryPointFilePath: join(folder, target.types),
      compiler: { tsconfigFilePath: join(folder, 'tsconfig.build.json') },
      apiReport: {
        enabled: true,
        reportFolder: join(root, 'api'),
        reportTempFolder: join(root, 'api', '.temp'),
        reportFileName: `${name}.api.md`,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Release tags (@public, @beta) are not how these packages mark their API: what is exported is public.
        // A type reachable but not exported from that subpath is noted in the report (a review sees it), not printed.
        extractorMessageReporting: {
          'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
          'ae-forgotten-export': { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
        },
        // TSDoc nits are for the docs, not the report.
        tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
      },
    };
    const config = ExtractorConfig.prepare({
      configObject,
      configObjectFullPath: undefined,
      packageJsonFullPath: join(folder, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      showVerboseMessages: false,
    });
    const changed = result.apiReportChanged && !update;
    if (!result.succeeded || changed) failed++;
    console.log(
      `${changed ? 'changed' : result.succeeded ? 'ok     ' : 'failed '} ${manifest.name}${subpath === '.' ? '' : subpath.slice(1)} (api/${name}.api.md)`,
    );
  }
}
if (failed > 0) {
  console.error(`\n${failed} API report(s) differ from the code: review the change, then run npm run api:update and commit api/.`);
  process.exit(1);
}
