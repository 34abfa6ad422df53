#!/usr/bin/env node
// The `textbench` command. The engine is TypeScript run through tsx's loader, so the same sources
// serve the CLI, the server, the tests and the worker threads without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./index.ts');
process.exitCode = await main(process.argv.slice(2));
