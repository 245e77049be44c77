import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { jsonError, type ServiceRequest, type ServiceResponse } from './aws-endpoint.ts';
import { secretArn, secretName } from './template.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The local stand-in for Secrets Manager's GetSecretValue, over the AWS JSON protocol, so the functions read
 * secrets with the real SDK client. Values live in DATA_DIR/secrets.json (name → value): edit it to share a
 * signing key with a local service; missing names are generated once, randomly.
 */
export class SecretsHost {
  private readonly secrets: Record<string, string>;

  constructor(file: string, names: string[]) {
    this.secrets = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
    const missing = names.filter((name) => !this.secrets[name]);
    for (const name of missing) this.secrets[name] = randomBytes(32).toString('base64url');
    if (missing.length || !existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(this.secrets, null, 2)}\n`, { mode: 0o600 });
    }
  }

  /** A secret's value by name or ARN. */
  value(idOrArn: string): string | undefined {
    return this.secrets[secretName(idOrArn)];
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    const action = String(request.headers['x-amz-target'] ?? '');
    if (action !== 'secretsmanager.GetSecretValue') return jsonError(400, 'UnknownOperationException', `the local runtime does not implement ${action}`, CONTENT_TYPE);
    const { SecretId } = JSON.parse(request.body.toString('utf8') || '{}') as { SecretId?: string };
    const name = secretName(String(SecretId ?? ''));
    const value = this.secrets[name];
    if (value === undefined) return jsonError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.", CONTENT_TYPE);
    return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify({ ARN: secretArn(name), Name: name, SecretString: value, VersionId: 'local' }) };
  }
}
