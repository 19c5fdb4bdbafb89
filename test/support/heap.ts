import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full GC without --expose-gc: contexts created after the flag is set get a `gc` function.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The heap in use after two full GCs: what the process still holds, not what it left behind. */
export function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
