import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, DependencyError, DerbesError } from '../../domain/errors.ts';
import { awsClient } from '../dependency-errors.ts';

/**
 * A rotated secret reaches a warm sandbox within this time. Five minutes, not AWS's caching-client hour: a revoked
 * operator key must stop working soon; the extra reads cost $0.05 per 10,000.
 */
const MAX_AGE_MS = 5 * 60 * 1000;

/**
 * Signing keys and similar strings from AWS Secrets Manager, fetched once per process and name.
 * Locally the endpoint comes from AWS_ENDPOINT_URL_SECRETS_MANAGER, which the SDK reads by itself.
 */
export class SecretSource {
  private readonly cache = new Map<string, { value: Promise<string>; fetchedAt: number }>();

  constructor(private readonly client: SecretsManagerClient = awsClient(new SecretsManagerClient({}), 'Secrets Manager')) {}

  get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && Date.now() - cached.fetchedAt < MAX_AGE_MS) return cached.value;
    const value = this.fetch(name);
    this.cache.set(name, { value, fetchedAt: Date.now() });
    // A failed fetch is not remembered: the next call tries again.
    value.catch(() => this.cache.delete(name));
    return value;
  }

  private async fetch(name: string): Promise<string> {
    try {
      const secret = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      if (secret.SecretString === undefined) throw new ConfigurationError('secrets', [{ field: name, message: 'holds no text (SecretString)' }]);
      return secret.SecretString;
    } catch (error) {
      if (error instanceof DerbesError) throw error;
      if (error instanceof ResourceNotFoundException) throw new ConfigurationError('secrets', [{ field: name, message: 'does not exist' }]);
      throw new DependencyError(`reading secret ${name} failed: ${(error as Error).name}`, { cause: error });
    }
  }
}

let shared: SecretSource | undefined;
/** One secret source per process, so its cache serves every connector and notifier. */
export function secretSource(): SecretSource {
  shared ??= new SecretSource();
  return shared;
}
