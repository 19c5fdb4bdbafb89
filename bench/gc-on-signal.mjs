// Preloaded into every server process by bench/run.ts, with --expose-gc. SIGWINCH (ignored by
// default, and not among the signals Nest's shutdown hooks take) runs a full garbage collection,
// so that RSS is read right after one rather than wherever the last GC left the heap, and the
// memory per connection of different systems is compared on the same footing.
process.on('SIGWINCH', () => globalThis.gc?.());
