import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_ROUTE_KEYS } from '../../functions/handlers/http/routes.ts';
import type { DerbesFunction } from './derbes-function.ts';

/** The privacy page and its API: every route the handler serves, nothing else. */
export class PublicHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, handler: DerbesFunction) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', { createDefaultStage: false, description: 'derbes: privacy request form and API' });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      // A person can submit a few requests a minute; more is abuse or a bot.
      throttle: { rateLimit: 20, burstLimit: 40 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // Route and status only: the query string may carry a verification code, the source IP is personal data.
        format: AccessLogFormat.custom(
          JSON.stringify({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', latency: '$context.responseLatency' }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('Handler', handler.function);
    for (const routeKey of HTTP_ROUTE_KEYS) {
      const [method, path] = routeKey.split(' ') as [string, string];
      this.api.addRoutes({ path, methods: [method as apigw.HttpMethod], integration });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The intake routes are public by nature (anyone may ask about their data; identity is proven by mailbox verification); the /operator routes check a bearer key from Secrets Manager in the function.',
    });
  }

  get url(): string {
    return this.api.apiEndpoint;
  }
}
