// @ts-check
// `npm start`: the Tollgate multi-region lab on loopback. See docs/lab.md.
//
// Progress goes to stderr with a `[lab]` prefix; the banner (addresses,
// management token, commands to try) goes to stdout once everything is up.
// SIGINT and SIGTERM stop every child and wait for it before exiting 0.
import { stopWithNpmParent } from '@tollgate/server/npm-parent-watch';
import { banner } from './lab/banner.js';
import { LabError, LabUsageError } from './lab/errors.js';
import { Lab } from './lab/lab.js';
import { USAGE, parseLabOptions } from './lab/options.js';

/** @type {import('./lab/options.js').LabOptions} */
let opts;
try {
  opts = parseLabOptions(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof LabUsageError) {
    process.stderr.write(`lab: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  throw err;
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const lab = new Lab(opts);
let signalled = false;
/** @param {NodeJS.Signals} signal */
const onSignal = (signal) => {
  // npm forwards the terminal's SIGINT to us as well, so one Ctrl-C can
  // arrive twice: further signals only repeat that the lab is stopping (the
  // stop itself is bounded: SIGKILL after a grace period).
  if (signalled) {
    process.stderr.write(`[lab] ${signal}: already stopping\n`);
    return;
  }
  signalled = true;
  process.stderr.write(`[lab] ${signal}: stopping\n`);
  void lab.stop().then(() => {
    process.stderr.write('[lab] stopped\n');
    process.exit(0);
  });
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `npm start` runs us with `exec`, so npm's forwarded signals reach us; should
// npm itself die (or a shell sit between us), its exit stops the lab too.
stopWithNpmParent(() => onSignal('SIGTERM'));

try {
  await lab.start();
  process.stdout.write(
    banner({
      baseDir: opts.baseDir,
      regions: lab.regions,
      prometheus: lab.prometheus,
      managementToken: lab.managementToken,
      managementTokenFile: lab.paths.managementToken,
      policyFile: lab.paths.policy,
      ...(opts.ha ? { ha: lab.ha } : {}),
      ...(lab.certs === undefined ? {} : { caFile: lab.certs.caFile }),
    }),
  );
  // The children keep the event loop alive until a signal stops them.
} catch (err) {
  if (!(err instanceof LabError && err.code === 'TOLLGATE_LAB_STOPPED')) {
    process.stderr.write(`[lab] error: ${err instanceof Error ? err.message : String(err)}\n`);
    await lab.stop();
    process.exit(1);
  }
}
