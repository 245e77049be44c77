import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { oneInvocation } from '../../adapters/invocation-scope.ts';
import { json, type Result } from './responses.ts';

export type Route = (event: APIGatewayProxyEventV2) => Promise<Result>;

/**
 * A Lambda handler (payload format 2.0) serving exactly the declared routes: API Gateway names the matched route,
 * with its {parameters}; anything else is a 404. Errors become answers in one place, `answerError`. Each invocation
 * runs as one (oneInvocation).
 */
export function serveRoutes<K extends string>(routes: Record<K, Route>, answerError: (error: unknown, event: APIGatewayProxyEventV2) => Result | Promise<Result>) {
  return async (event: APIGatewayProxyEventV2): Promise<Result> => {
    const route = Object.hasOwn(routes, event.routeKey) ? routes[event.routeKey as K] : undefined;
    if (!route) return json(404, { error: 'not_found', message: `no route ${event.routeKey}` });
    try {
      return await oneInvocation(() => route(event));
    } catch (error) {
      return await answerError(error, event);
    }
  };
}
