import { randomBytes } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  UsernameExistsException,
  UserNotFoundException,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { ConflictError, DependencyError, DerbesError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { OPERATOR_ROLES, roleOfGroups, type OperatorRole, type PoolStanding } from '../../domain/operator-identity.ts';
import { awsClient } from '../dependency-errors.ts';

export interface OperatorAccount {
  email: string;
  sub: string;
  /** The pool's status: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED. */
  status: string;
  enabled: boolean;
  role: OperatorRole | null;
  createdAt: string;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/;
const attribute = (user: UserType, name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;

/**
 * A temporary password the operator changes at the first sign-in: 128 random bits, with the character classes a
 * pool's password policy asks for. Cognito does not mail it (MessageAction SUPPRESS): the admin who adds the
 * operator hands it over, so no mail about sign-in leaves derbes.
 */
function temporaryPassword(): string {
  return `${randomBytes(16).toString('base64url')}-Aa1`;
}

function parseEmail(email: unknown): string {
  if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw new ValidationError([{ field: 'email', message: 'must be the operator\'s e-mail address' }], 'operator');
  return email.trim().toLowerCase();
}

export function parseRole(role: unknown): OperatorRole {
  if (typeof role !== 'string' || !(OPERATOR_ROLES as readonly string[]).includes(role)) {
    throw new ValidationError([{ field: 'role', message: `must be one of ${OPERATOR_ROLES.join(', ')}` }], 'operator');
  }
  return role as OperatorRole;
}

/** The people who may sign in to the console: the user pool, through its admin API (the operator function's grants). */
export class OperatorDirectory {
  constructor(
    private readonly userPoolId: string,
    private readonly client: CognitoIdentityProviderClient = awsClient(new CognitoIdentityProviderClient({}), 'Cognito'),
  ) {}

  /** Adds a person with one role; returns the temporary password for their first sign-in (shown once). */
  async add(rawEmail: unknown, rawRole: unknown): Promise<{ email: string; role: OperatorRole; temporaryPassword: string }> {
    const email = parseEmail(rawEmail);
    const role = parseRole(rawRole);
    const password = temporaryPassword();
    try {
      await this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: email,
          TemporaryPassword: password,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof UsernameExistsException) throw new ConflictError(`an operator ${email} exists already (remove them first to change the role)`);
      throw this.failed('adding an operator', error);
    }
    await this.client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: email, GroupName: role })).catch((error: unknown) => {
      throw this.failed('giving the operator a role', error);
    });
    return { email, role, temporaryPassword: password };
  }

  /** Every operator with their role, all pages of the pool. */
  async list(): Promise<OperatorAccount[]> {
    const users: UserType[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListUsersCommand({ UserPoolId: this.userPoolId, PaginationToken: token })).catch((error: unknown) => {
        throw this.failed('listing operators', error);
      });
      users.push(...(page.Users ?? []));
      token = page.PaginationToken;
    } while (token);
    return Promise.all(
      users.map(async (user) => {
        const groups = await this.client.send(new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: user.Username! })).catch((error: unknown) => {
          throw this.failed('reading an operator\'s role', error);
        });
        return {
          email: attribute(user, 'email') ?? '',
          sub: attribute(user, 'sub') ?? user.Username ?? '',
          status: user.UserStatus ?? 'UNKNOWN',
          enabled: user.Enabled ?? false,
          role: roleOfGroups((groups.Groups ?? []).map((g) => g.GroupName ?? '')) ?? null,
          createdAt: (user.UserCreateDate ?? new Date(0)).toISOString(),
        };
      }),
    );
  }

  /** Where a person (by their sub) stands in the pool now: their role, or removed. */
  async standing(sub: string): Promise<PoolStanding> {
    try {
      const groups = await this.client.send(new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: sub }));
      return { role: roleOfGroups((groups.Groups ?? []).map((g) => g.GroupName ?? '')) };
    } catch (error) {
      if (error instanceof UserNotFoundException) return 'removed';
      throw this.failed('reading an operator\'s role', error);
    }
  }

  /** Removes the person: they cannot sign in or refresh again, and the console refuses their token within a role check's cache time. */
  async remove(rawEmail: unknown): Promise<{ email: string }> {
    const email = parseEmail(rawEmail);
    try {
      await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: email }));
    } catch (error) {
      if (error instanceof UserNotFoundException) throw new NotFoundError(`no operator ${email}`);
      throw this.failed('removing an operator', error);
    }
    return { email };
  }

  private failed(what: string, error: unknown): Error {
    if (error instanceof DerbesError) return error;
    return new DependencyError(`${what} failed: ${(error as Error).name}`, { cause: error });
  }
}
