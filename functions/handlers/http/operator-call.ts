import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { OperatorActor } from '../../domain/operator-identity.ts';
import type { Dependencies } from '../../use-cases/dependencies.ts';
import type { Result } from './responses.ts';

/** Who calls an operator route, and the dependencies it works with: they name that operator in all it writes. */
export interface OperatorCall {
  actor: OperatorActor;
  deps: Dependencies;
}

export type OperatorRoute = (event: APIGatewayProxyEventV2, call: OperatorCall) => Promise<Result>;
