#!/usr/bin/env node
// The operators' command. It runs the TypeScript sources through tsx, so no build step stands between
// a checkout and `npx derbes`. npm puts the project's Node 24 (devDependency `node`) first on PATH.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`derbes needs Node.js 24 or newer (this is ${process.versions.node}). Run it through npm: \`npx derbes …\` or \`npm start\`.`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('../infra/cli/derbes.ts');
