/**
 * Dependencies point inward: domain ← use cases ← adapters and handlers. Checked by `npm test` (npm run
 * check:dependencies) over functions/. The operator profile's schema (functions/config/profile-schema.ts) is domain
 * data — a pure schema over domain types, parsed once at start — so the inner layers may read it; the rest of
 * functions/config (settings from the environment, the profile read from disk) belongs to the composition root.
 */
const OUTSIDE_THE_CORE = '^(functions/(adapters|handlers|config)/|functions/composition\\.ts$|infra/|test/|bench/)';
const PROFILE_SCHEMA = '^functions/config/profile-schema\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-domain-only',
      comment: 'The domain imports nothing outside itself, rules/ and the profile schema.',
      severity: 'error',
      from: { path: '^functions/domain/' },
      to: { path: [OUTSIDE_THE_CORE, '^functions/use-cases/'], pathNot: PROFILE_SCHEMA },
    },
    {
      name: 'use-cases-import-domain-and-ports',
      comment: 'Use cases talk to ports (functions/use-cases/ports.ts), never to an adapter, a handler or a setting.',
      severity: 'error',
      from: { path: '^functions/use-cases/' },
      to: { path: OUTSIDE_THE_CORE, pathNot: PROFILE_SCHEMA },
    },
    {
      name: 'profile-schema-is-pure',
      comment: 'The profile schema stays domain data: it imports the domain only.',
      severity: 'error',
      from: { path: PROFILE_SCHEMA },
      to: { path: [OUTSIDE_THE_CORE, '^functions/use-cases/'], pathNot: PROFILE_SCHEMA },
    },
    {
      name: 'adapters-import-ports-not-use-cases',
      comment: 'An adapter implements a port; it does not call a use case.',
      severity: 'error',
      from: { path: '^functions/adapters/' },
      to: { path: ['^functions/use-cases/', '^functions/handlers/', '^functions/composition\\.ts$'], pathNot: '^functions/use-cases/ports\\.ts$' },
    },
    {
      name: 'intake-plans-without-texts',
      comment:
        "What the mail intake and the API run for every request (its planning, submitting, starting the workflow, receiving mail) loads no texts and no step that acts: notify.ts, fulfilment.ts, consent.ts and the message catalogue come in by import() where a path mails. A static import would put them back in the intake's init (383 of its 400 KB; README, bench:cold-start).",
      severity: 'error',
      from: { path: '^functions/use-cases/(fulfilment-plan|submit-request|start-workflow|receive-email)\\.ts$' },
      to: { path: '^functions/(use-cases/(notify|fulfilment|consent)|domain/messages)\\.ts$', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'zod-through-schema',
      comment:
        'zod is imported in one place, functions/domain/schema.ts (zod/mini with its English locale): a direct import of zod would bring its whole classic API back into every bundle, or skip the locale.',
      severity: 'error',
      from: { path: '^functions/', pathNot: '^functions/domain/schema\\.ts$' },
      to: { path: 'node_modules/zod/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a use case that names an adapter's type depends on it all the same.
    tsPreCompilationDeps: true,
  },
};
