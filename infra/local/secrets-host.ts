import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * The local stand-in for Secrets Manager's GetSecretValue, over the AWS JSON protocol, so the functions read
 * secrets with the real SDK client. Values live in DATA_DIR/secrets.json (name → value): edit it to share a
 * signing key with a local service; missing names are generated once, randomly.
 */
export class SecretsHost {
  private server?: Server;
  private readonly secrets: Record<string, string>;

  constructor(
    file: string,
    names: string[],
  ) {
    this.secrets = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
    const missing = names.filter((name) => !this.secrets[name]);
    for (const name of missing) this.secrets[name] = randomBytes(32).toString('base64url');
    if (missing.length || !existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(this.secrets, null, 2)}\n`, { mode: 0o600 });
    }
  }

  value(name: string): string | undefined {
    return this.secrets[name];
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      const action = String(req.headers['x-amz-target'] ?? '');
      if (action !== 'secretsmanager.GetSecretValue') return reply(400, { __type: 'UnknownOperationException', message: `the local runtime does not implement ${action}` });
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const name = String(SecretId ?? '').replace(/^arn:.*:secret:/, '');
      const value = this.secrets[name];
      if (value === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret ${name}.` });
      return reply(200, { ARN: `arn:aws:secretsmanager:local:000000000000:secret:${name}`, Name: name, SecretString: value, VersionId: 'local' });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
