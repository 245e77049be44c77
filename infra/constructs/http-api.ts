import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONSOLE_API_ROUTE_KEYS, OPERATOR_ROUTE_KEYS, PUBLIC_ROUTE_KEYS, type HTTP_ROUTE_KEYS } from '../../functions/handlers/http/routes.ts';
import type { DerbesFunction } from './derbes-function.ts';

type Throttle = { rateLimit: number; burstLimit: number };

/** Every route at the gateway, per second; a person submits a few requests a minute, more is abuse or a bot. */
const DEFAULT_THROTTLE: Throttle = { rateLimit: 20, burstLimit: 40 };
/**
 * Tighter for the one route that makes mail (the functions' token buckets then limit per client and in all). Each
 * route has its own limits at the gateway, so a flood of public requests cannot use up the operator routes'.
 */
const ROUTE_THROTTLE: Partial<Record<(typeof HTTP_ROUTE_KEYS)[number], Throttle>> = {
  'POST /api/requests': { rateLimit: 5, burstLimit: 10 },
};

export interface PublicHttpApiProps {
  /** Serves the public routes: the privacy page, requests, confirmation, downloads. */
  public: DerbesFunction;
  /** Serves the operator routes, behind the operator key. */
  operator: DerbesFunction;
  /** Checks the console's tokens on every /console/api/ route (the same operator function serves them). */
  consoleAuthorizer: HttpUserPoolAuthorizer;
  /** Requests per second and burst for every route at the gateway; default 20 per second, bursts of 40. */
  throttle?: Throttle;
  /** Tighter limits for single routes; default 5 per second, bursts of 10, for POST /api/requests. */
  routeThrottle?: Partial<Record<(typeof HTTP_ROUTE_KEYS)[number], Throttle>>;
}

/** The privacy page and its API, and the operator API: every route a handler serves, nothing else. */
export class PublicHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: PublicHttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', { createDefaultStage: false, description: 'derbes: privacy request form and API' });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // Route and status only: the query string may carry a verification code, the source IP is personal data.
        format: AccessLogFormat.custom(
          JSON.stringify({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', latency: '$context.responseLatency' }),
        ),
      },
    });
    (this.stage.node.defaultChild as apigw.CfnStage).routeSettings = Object.fromEntries(
      Object.entries(props.routeThrottle ?? ROUTE_THROTTLE).map(([routeKey, limits]) => [routeKey, { throttlingRateLimit: limits.rateLimit, throttlingBurstLimit: limits.burstLimit }]),
    );
    const publicIntegration = new HttpLambdaIntegration('Handler', props.public.function);
    const operatorIntegration = new HttpLambdaIntegration('OperatorHandler', props.operator.function);
    const add = (routeKey: string, integration: HttpLambdaIntegration, authorizer?: HttpUserPoolAuthorizer) => {
      const [method, path] = routeKey.split(' ') as [string, string];
      this.api.addRoutes({ path, methods: [method as apigw.HttpMethod], integration, ...(authorizer && { authorizer }) });
    };
    for (const routeKey of PUBLIC_ROUTE_KEYS) add(routeKey, publicIntegration);
    for (const routeKey of OPERATOR_ROUTE_KEYS) add(routeKey, operatorIntegration);
    for (const routeKey of CONSOLE_API_ROUTE_KEYS) add(routeKey, operatorIntegration, props.consoleAuthorizer);
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The intake routes are public by nature (anyone may ask about their data; identity is proven by mailbox verification); the /operator routes go to their own function, which checks a bearer key from Secrets Manager; the /console/api routes carry the Cognito JWT authorizer.',
    });
  }

  get url(): string {
    return this.api.apiEndpoint;
  }
}
