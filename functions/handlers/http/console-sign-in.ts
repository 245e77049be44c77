import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dependencies } from '../../composition.ts';
import { readSetting, Settings } from '../../config/settings.ts';
import { LANGUAGES } from '../../domain/request-types.ts';
import type { Route } from './dispatch.ts';
import { header, json } from './responses.ts';

/** Where the browser reaches the user pool: Cognito's regional endpoint, or the local runtime's. */
export function cognitoEndpoint(): string {
  return process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? `https://cognito-idp.${process.env.AWS_REGION}.amazonaws.com/`;
}

/**
 * The console's sign-in: the page (ru/kk/en) and the little configuration it and the token module read (which user
 * pool, which app client, where its API is); the page's script and the token module are files of the console's
 * folder (console/sign-in.js, console/auth.js). Public: they hold no secret.
 */
export const consoleSignInRoutes = {
  'GET /console/sign-in': async (event: APIGatewayProxyEventV2) => {
    const deps = await dependencies();
    const wanted = event.queryStringParameters?.lang ?? header(event, 'accept-language')?.slice(0, 2);
    const language = LANGUAGES.find((l) => l === wanted) ?? deps.profile.defaultLanguage;
    const connect = new URL(cognitoEndpoint()).origin;
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Scripts from derbes only; the browser talks to derbes and to the user pool's endpoint, nothing else.
        'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ${connect}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
        'referrer-policy': 'no-referrer',
      },
      // The page's module loads on the first sign-in page asked for: the public function's other routes never need it.
      body: await (await import('./console-sign-in-page.ts')).signInPage(language, deps.profile.operator.legalName, event.queryStringParameters?.signedOut === '1'),
    };
  },
  'GET /console/config.json': async () =>
    json(200, {
      region: process.env.AWS_REGION,
      userPoolId: readSetting(Settings.userPoolId),
      clientId: readSetting(Settings.userPoolClientId),
      cognitoEndpoint: cognitoEndpoint(),
    }),
} satisfies Record<string, Route>;
