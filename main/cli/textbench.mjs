#!/usr/bin/env node
// The `textbench` command from the source tree (development and tests): the TypeScript runs through tsx's loader.
// The installed command is dist/cli.js, the same program compiled ahead of time by tools/build.mjs.
import { register } from 'tsx/esm/api';

register();
await import('./bin.ts');
