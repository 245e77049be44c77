import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityHost } from './identity-host.ts';
import type { LocalUserPool } from './template.ts';

/**
 * On the first start with a data folder: an admin in the operators' pool (the profile's contact address), with a
 * one-time password to sign in with, set a password and enrol TOTP. Made once: a marker file remembers it, so
 * removing every operator later does not bring a default admin back.
 */
export async function createFirstAdmin(identity: IdentityHost, pools: LocalUserPool[], email: string, directory: string): Promise<{ email: string; temporaryPassword: string } | undefined> {
  const [pool] = pools;
  const marker = join(directory, 'first-admin-created');
  if (!pool || existsSync(marker) || !identity.isEmpty(pool.id)) return undefined;
  const temporaryPassword = `${randomBytes(16).toString('base64url')}-Aa1`;
  const call = async (operation: string, body: Record<string, unknown>) => {
    const response = await identity.handle({
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
      body: Buffer.from(JSON.stringify({ UserPoolId: pool.id, ...body })),
    });
    if (response.status !== 200) throw new Error(`creating the first admin: ${operation} failed: ${String(response.body)}`);
  };
  await call('AdminCreateUser', { Username: email, TemporaryPassword: temporaryPassword, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: email }] });
  await call('AdminAddUserToGroup', { Username: email, GroupName: 'admin' });
  writeFileSync(marker, `${email} ${new Date().toISOString()}\n`);
  return { email: email.toLowerCase(), temporaryPassword };
}
