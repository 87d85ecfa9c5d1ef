// The web tier: (a) what the web bundles and the .vsix are made of, (b) the server bundle alone in
// a plain Worker, (c) the packaged extension in code-server's web worker extension host. Needs
// `npm run build` and the vscode tier's kit (scripts/e2e-setup.sh).
//   node out/test/web/run.js [bundle] [worker] [code-server]   (no argument: all three)
// Last line: "web: N passed, N failed"; exit 1 on any failure.
import { runBundleTests } from './bundleTests';
import { runCodeServerTests } from './codeServerTests';
import { runWorkerTests } from './workerTests';
import type { Outcome } from './tier';

const PARTS = ['bundle', 'worker', 'code-server'];

async function main(): Promise<number> {
  const outcome: Outcome = { passed: [], failed: [] };
  const asked = process.argv.slice(2);
  const unknown = asked.filter((part) => !PARTS.includes(part));
  if (unknown.length > 0) throw new Error(`unknown part ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
  const wanted = (part: string): boolean => asked.length === 0 || asked.includes(part);
  if (wanted('bundle')) {
    console.log('web: (a) the web bundles and the .vsix');
    await runBundleTests(outcome);
  }
  if (wanted('worker')) {
    console.log('web: (b) dist/web/server.js in a plain Worker');
    await runWorkerTests(outcome);
  }
  if (wanted('code-server')) {
    console.log("web: (c) the packaged extension in code-server's web worker extension host");
    await runCodeServerTests(outcome);
  }
  console.log(`web: ${outcome.passed.length} passed, ${outcome.failed.length} failed`);
  return outcome.failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    console.log('web: 0 passed, 1 failed');
    process.exit(1);
  },
);
