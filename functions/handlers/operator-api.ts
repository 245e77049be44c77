import { jsonError } from './http/error-responses.ts';
import { serveRoutes } from './http/dispatch.ts';
import { operatorRoutes } from './http/operator-routes.ts';

/**
 * The operator API (machine clients with the operator key: the CLI, the company's systems), in its own function
 * with its own role: the public function cannot decide, extend, write consents or read attachments.
 */
export const handler = serveRoutes(operatorRoutes, (error) => jsonError(error));
