// One fresh Node process = one cold Lambda container, for `npm run bench` section 2.
// Loads a handler bundle the way the Lambda Node.js runtime does (`import()` of the
// .mjs file), then invokes it once. Plain JavaScript on purpose: no TypeScript loader
// may sit between the process and the bundle. Reports over IPC; stdout (the functions'
// log lines) is /dev/null.
import { pathToFileURL } from 'node:url';

process.once('message', async ({ bundle, event }) => {
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const module = await import(pathToFileURL(bundle).href);
    const importMs = performance.now() - t0;
    const importCpu = process.cpuUsage(cpu0);
    let firstInvokeMs = null;
    let outcome = null;
    if (event) {
      const t1 = performance.now();
      try {
        const result = await module.handler(event, { getRemainingTimeInMillis: () => 29_000 });
        outcome = result?.statusCode ?? (result?.isAuthorized === true ? 'allow' : 'deny');
      } catch (error) {
        outcome = `threw ${error?.message ?? error}`;
      }
      firstInvokeMs = performance.now() - t1;
    }
    process.send({ ok: true, importMs, importCpuMs: (importCpu.user + importCpu.system) / 1000, firstInvokeMs, outcome }, () => process.exit(0));
  } catch (error) {
    process.send({ ok: false, error: String(error?.message ?? error).slice(0, 500) }, () => process.exit(1));
  }
});
