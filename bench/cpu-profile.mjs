// Preloaded into server processes by bench/run.ts when BENCH_CPU_PROF is set (--cpu-prof is
// not allowed in NODE_OPTIONS, --import is): profiles the whole process and writes
// <BENCH_CPU_PROF>/<pid>.cpuprofile on exit. A local inspector session answers synchronously,
// so the profile can be written from the 'exit' handler.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
let written = false;
function write() {
  if (written) return;
  written = true;
  session.post('Profiler.stop', (error, result) => {
    if (!error)
      writeFileSync(
        join(process.env.BENCH_CPU_PROF, `${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
  });
}
process.once('exit', write);
// Nest's shutdown hooks re-raise SIGTERM after closing, which skips 'exit': write first.
process.once('SIGTERM', () => {
  write();
  process.exit(0);
});
