import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConsoleTexts } from '../../domain/console-texts.ts';
import { LANGUAGES } from '../../domain/request-types.ts';
import type { Route } from './dispatch.ts';
import { cognitoEndpoint } from './console-sign-in.ts';
import { json, type Result } from './responses.ts';

/**
 * The operator's console: static pages, style and ES modules from the repository's `console/` folder, served as
 * they are (no build step; in a Lambda bundle the folder sits in the task root, copied by the stack's bundling), and
 * its texts from rules/console. The pages hold nothing about anyone: what they show comes from the operator API,
 * which checks every call.
 */
export const CONSOLE_DIRECTORY = 'console';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Only the console's own files, from its own origin: no inline script or style, no other site, not framed; the
 * pages call the operator API on the same origin, and the user pool (to refresh the operator's tokens) at its own.
 */
export function consoleCsp(): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${new URL(cognitoEndpoint()).origin}; img-src 'self' blob: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

const headers = () => ({
  'content-security-policy': consoleCsp(),
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // A release changes the files: the browser asks again each time (they are small).
  'cache-control': 'no-cache',
});

interface ConsoleFile {
  contentType: string;
  body: Buffer;
}

let files: Map<string, ConsoleFile> | undefined;

/**
 * The console's files by name, read once: only what the folder holds is ever served (a name is looked up, never
 * joined into a path). The task root's copy in a Lambda bundle and the local runtime, the repository's otherwise.
 */
function consoleFiles(): Map<string, ConsoleFile> {
  if (files) return files;
  const directory = resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), CONSOLE_DIRECTORY);
  if (!existsSync(directory)) throw new Error(`the console's files are missing: ${directory}`);
  files = new Map(
    readdirSync(directory, { withFileTypes: true })
      .filter((entry) => entry.isFile() && CONTENT_TYPES[extname(entry.name)])
      .map((entry) => [entry.name, { contentType: CONTENT_TYPES[extname(entry.name)]!, body: readFileSync(join(directory, entry.name)) }]),
  );
  return files;
}

function serve(name: string): Result {
  const file = consoleFiles().get(name);
  if (!file) return json(404, { error: 'not_found', message: `the console has no ${name}` });
  const text = file.contentType.startsWith('text/') || file.contentType.startsWith('image/svg');
  return {
    statusCode: 200,
    headers: { ...headers(), 'content-type': file.contentType },
    body: text ? file.body.toString('utf8') : file.body.toString('base64'),
    isBase64Encoded: !text,
  };
}

/** The console's pages by path, each the one document whose module picks the page (console.js): the inbox, a request, held mail, the entry form, reports. */
const PAGE = 'console.html';
const PAGES = new Set(['', 'request', 'held-mail', 'enter', 'reports']);
const TEXTS = new RegExp(`^texts\\.(${LANGUAGES.join('|')})\\.json$`);

export const consoleRoutes = {
  'GET /console': async () => serve(PAGE),
  'GET /console/{file}': async (event: APIGatewayProxyEventV2) => {
    const name = event.pathParameters?.file ?? '';
    const texts = TEXTS.exec(name);
    if (texts) return { ...json(200, await loadConsoleTexts(texts[1] as (typeof LANGUAGES)[number])), headers: { ...headers(), 'content-type': 'application/json; charset=utf-8' } };
    return serve(PAGES.has(name) ? PAGE : name);
  },
} satisfies Record<string, Route>;
