import type { RunningSystem } from '../../infra/local/runtime.ts';
import { operatorCall } from './local-system.ts';
import { totp } from './totp.ts';

/**
 * A person added as an operator (through the operator API with the machine key) who then signs in the first time
 * through the local user pool's Cognito API, as the sign-in page does: new password, TOTP enrolled. Returns the
 * session the console keeps in sessionStorage (`derbes.console.session`), holding real tokens the gateway verifies.
 */
export async function operatorSession(system: RunningSystem, email: string, role: 'viewer' | 'decider' | 'admin'): Promise<Record<string, unknown>> {
  const added = await operatorCall(system, 'POST', '/operator/operators', { email, role });
  if (added.status !== 201) throw new Error(`adding ${email}: ${added.status} ${JSON.stringify(added.body)}`);
  const config = (await (await fetch(`${system.url}/console/config.json`)).json()) as { cognitoEndpoint: string; clientId: string };
  const cognito = async (operation: string, body: Record<string, unknown>) => {
    const response = await fetch(config.cognitoEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, any>;
    if (!response.ok) throw new Error(`${operation}: ${JSON.stringify(json)}`);
    return json;
  };
  const password = 'Console-Operator-7-Pass';
  const first = await cognito('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: config.clientId, AuthParameters: { USERNAME: email, PASSWORD: added.body.temporaryPassword } });
  const setup = await cognito('RespondToAuthChallenge', { ChallengeName: 'NEW_PASSWORD_REQUIRED', ClientId: config.clientId, Session: first.Session, ChallengeResponses: { USERNAME: email, NEW_PASSWORD: password } });
  const associated = await cognito('AssociateSoftwareToken', { Session: setup.Session });
  const verified = await cognito('VerifySoftwareToken', { Session: associated.Session, UserCode: totp(associated.SecretCode as string) });
  const signedIn = await cognito('RespondToAuthChallenge', { ChallengeName: 'MFA_SETUP', ClientId: config.clientId, Session: verified.Session, ChallengeResponses: { USERNAME: email } });
  const tokens = signedIn.AuthenticationResult as { IdToken: string; AccessToken: string; RefreshToken: string };
  const claims = JSON.parse(Buffer.from(tokens.IdToken.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
  return { idToken: tokens.IdToken, accessToken: tokens.AccessToken, refreshToken: tokens.RefreshToken, expiresAt: claims.exp * 1000, email };
}
