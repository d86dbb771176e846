/**
 * The V8 heap settings Tessera runs with: `npm start`, the container's command and the bench all
 * start the server with exactly these (src/node-flags.spec.ts checks the first two).
 *
 * - `--max-semi-space-size=16`: Node 22+ sizes the young generation by the machine's memory
 *   (64 MB semi-spaces on a 24 GB machine, 128 MB of new space committed under load). 16 MB
 *   keeps scavenges short and cut the peak RSS under load by about 75 MB in the bench.
 * - `--heap-growing-percent=20`: after a full collection V8 lets the old generation grow up to
 *   4× the live size before the next one. Garbage promoted by in-flight requests then piles up
 *   for hundreds of MB (the peak RSS with 100,000 tokens in use fell from about 600 to 340 MB).
 *
 * Operators with other memory needs set their own flags in front of `dist/main.js`; these are
 * heap sizing only, never a limit (there is no --max-old-space-size here).
 */
export const NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=16',
  '--heap-growing-percent=20',
];
