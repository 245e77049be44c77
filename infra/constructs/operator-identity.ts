import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { OPERATOR_ROLES } from '../../functions/domain/operator-identity.ts';

/** How long an ID or access token lets an operator in; a removed operator's last token lives this long. */
export const OPERATOR_TOKEN_MINUTES = 15;
/** How long the console may refresh without a new sign-in (one working day). */
export const OPERATOR_SESSION_HOURS = 10;

/**
 * The people who sign in to the console: a user pool without self sign-up, with TOTP required for everyone, one
 * group per role, and a public app client for the console (password sign-in, refresh tokens, short-lived tokens).
 * The console's API checks its tokens at the gateway (`authorizer`); the operator function manages people through
 * the pool's admin API (`grantManage`).
 */
export class OperatorIdentity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly consoleClient: cognito.UserPoolClient;
  /** API Gateway's JWT authorizer: issuer the pool, audience the console's client. */
  readonly authorizer: HttpUserPoolAuthorizer;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Operators', {
      // Lite: password sign-in with TOTP is all the console needs; Essentials or Plus cost more per active user.
      featurePlan: cognito.FeaturePlan.LITE,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      // A lost password or authenticator is reset by an admin (remove and add again), never by mail alone.
      accountRecovery: cognito.AccountRecovery.NONE,
      // The address names the operator in the audit: a change must not take effect before it is verified.
      keepOriginal: { email: true },
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const role of OPERATOR_ROLES) this.userPool.addGroup(`Group${role[0]!.toUpperCase()}${role.slice(1)}`, { groupName: role, description: `derbes console: ${role}` });
    this.consoleClient = this.userPool.addClient('Console', {
      userPoolClientName: 'derbes-console',
      generateSecret: false,
      authFlows: { userPassword: true },
      // The console signs in through the API, never a hosted page: no OAuth flows or callback to send tokens to.
      disableOAuth: true,
      // Nothing an operator may change about themselves with their own token (the address is who the audit names).
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true }),
      writeAttributes: new cognito.ClientAttributes(),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.minutes(OPERATOR_TOKEN_MINUTES),
      accessTokenValidity: Duration.minutes(OPERATOR_TOKEN_MINUTES),
      refreshTokenValidity: Duration.hours(OPERATOR_SESSION_HOURS),
      authSessionValidity: Duration.minutes(5),
    });
    this.authorizer = new HttpUserPoolAuthorizer('ConsoleAuthorizer', this.userPool, { userPoolClients: [this.consoleClient] });
    const reason = 'Threat protection needs the Plus plan (priced per active user, far above the idle budget); the pool has no self sign-up, requires TOTP for everyone, and its people are added by an admin.';
    for (const id of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) Validations.of(this.userPool).acknowledge({ id, reason });
  }

  /** What the operator function does to the pool: add, list and remove people and give them a role. */
  grantManage(grantee: iam.IGrantable): void {
    this.userPool.grant(
      grantee,
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminDeleteUser',
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminListGroupsForUser',
      'cognito-idp:ListUsers',
    );
  }
}
