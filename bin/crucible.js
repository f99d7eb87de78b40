#!/usr/bin/env node
// Runs the CLI from its TypeScript sources (docs/decisions/001-run-from-sources.md).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
