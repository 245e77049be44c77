import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Names the CDK app and the local runtime share. They live apart from the constructs so that the runtime can read a
 * synthesized template (a restart, a test with a cached template) without loading aws-cdk-lib and cdk-nag.
 */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const STACK_NAME = 'Derbes';
export const DEFAULT_PROFILE = 'profiles/demo.json';
/** Metadata key naming the handler module; the local runtime runs that module for this function. */
export const ENTRY_METADATA = 'derbes:entry';
/** The repository folders a function's bundle carries in its root (see DerbesFunctionProps.directories). */
export const DIRECTORIES_METADATA = 'derbes:directories';
