#!/usr/bin/env node
// The operators' command. It runs the TypeScript sources through tsx, so no build step stands between
// a checkout and `npx derbes`.
import { register } from 'tsx/esm/api';

register();
await import('../infra/cli/derbes.ts');
