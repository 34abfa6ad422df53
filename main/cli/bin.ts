// The `textbench` command: dist/cli.js is this file bundled (tools/build.mjs); in the source tree
// main/cli/textbench.mjs runs the same through tsx.
import { main } from './index.ts';

process.exitCode = await main(process.argv.slice(2));
