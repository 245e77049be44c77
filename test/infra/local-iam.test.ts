import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { AwsEndpoint, type ServiceRequest } from '../../infra/local/aws-endpoint.ts';
import { dynamoDbProtocol, s3Protocol, s3Upstream, secretsManagerProtocol, sesProtocol } from '../../infra/local/aws-protocols.ts';
import { actionMatches, Denials, Principals, resourceMatches, RolePolicy } from '../../infra/local/iam.ts';
import { Meter } from '../../infra/local/meter.ts';
import { secretArn, secretName } from '../../infra/local/template.ts';

const TABLE = 'arn:aws:dynamodb:local:000000000000:table/Requests';

function request(overrides: Partial<ServiceRequest> & { json?: unknown; target?: string }): ServiceRequest {
  const { json, target, ...rest } = overrides;
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: target ? { 'x-amz-target': target } : {},
    body: Buffer.from(json === undefined ? '' : JSON.stringify(json)),
    ...rest,
  };
}

describe('IAM policy evaluation, as AWS does it', () => {
  it('matches actions case-insensitively with wildcards, resources case-sensitively', () => {
    expect(actionMatches('dynamodb:Get*', 'dynamodb:GetItem')).toBe(true);
    expect(actionMatches('DynamoDB:getitem', 'dynamodb:GetItem')).toBe(true);
    expect(actionMatches('dynamodb:Get?tem', 'dynamodb:GetItem')).toBe(true);
    expect(actionMatches('dynamodb:Get*', 'dynamodb:PutItem')).toBe(false);
    expect(resourceMatches('arn:aws:s3:::bucket/packages/*', 'arn:aws:s3:::bucket/packages/DRB-1/x/a.json')).toBe(true);
    expect(resourceMatches('arn:aws:s3:::bucket/packages/*', 'arn:aws:s3:::bucket/inbound/x')).toBe(false);
    expect(resourceMatches('arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/a')).toBe(false);
    // A wildcard in the region stays in the region.
    expect(resourceMatches('arn:aws:dynamodb:*:000000000000:table/Requests', TABLE)).toBe(true);
    expect(resourceMatches('arn:aws:dynamodb:*', TABLE)).toBe(false);
    expect(resourceMatches('arn:aws:secretsmanager:local:000000000000:secret:signing-??????', secretArn('signing'))).toBe(true);
  });

  it('allows only what a statement allows, and an explicit Deny wins', () => {
    const policy = new RolePolicy('Role', [
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [TABLE, `${TABLE}/index/byDueDate`] },
      { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/*' },
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
      { Effect: 'Allow', NotAction: 'ses:*', Resource: 'arn:aws:sqs:local:000000000000:queue' },
    ]);
    expect(policy.decide({ action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    expect(policy.decide({ action: 'dynamodb:PutItem', resource: TABLE })).toBe('implicit-deny');
    expect(policy.decide({ action: 'dynamodb:Query', resource: `${TABLE}/index/byDueDate` })).toBe('allow');
    expect(policy.decide({ action: 'dynamodb:Query', resource: `${TABLE}/index/other` })).toBe('implicit-deny');
    expect(policy.decide({ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/a' })).toBe('allow');
    expect(policy.decide({ action: 's3:DeleteObject', resource: 'arn:aws:s3:::bucket/a' })).toBe('explicit-deny');
    expect(policy.decide({ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:local:000000000000:queue' })).toBe('allow');
    expect(policy.decide({ action: 'ses:SendRawEmail', resource: 'arn:aws:sqs:local:000000000000:queue' })).toBe('implicit-deny');
  });

  it('knows a caller by the access key it signed with, refuses in AWS words, and records the refusal', () => {
    const denials = new Denials();
    const principals = new Principals(denials);
    const principal = principals.add('AnswerFunction', new RolePolicy('AnswerRole', [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }]));
    const signed = `AWS4-HMAC-SHA256 Credential=${principal.accessKeyId}/20261129/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00`;
    expect(principals.identify(signed)).toBe(principal);
    expect(() => principals.identify('AWS4-HMAC-SHA256 Credential=AKIASOMEONEELSE/20261129/local/dynamodb/aws4_request')).toThrow(/security token/);
    expect(() => principals.authorize(principal, [{ action: 'dynamodb:GetItem', resource: TABLE }, { action: 'dynamodb:DeleteItem', resource: TABLE }])).toThrow(
      `User: arn:aws:sts::000000000000:assumed-role/AnswerRole/AnswerFunction is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:DeleteItem action`,
    );
    expect(denials.list()).toMatchObject([{ principal: principal.arn, action: 'dynamodb:DeleteItem', resource: TABLE }]);
  });
});

describe('what each AWS call needs, per the service authorization reference', () => {
  it('DynamoDB: a transaction needs each part\'s own action; a query on an index, the index', () => {
    const transaction = request({
      target: 'DynamoDB_20120810.TransactWriteItems',
      json: { TransactItems: [{ Put: { TableName: 'Requests' } }, { Update: { TableName: 'Audit' } }, { ConditionCheck: { TableName: 'Requests' } }] },
    });
    expect(dynamoDbProtocol.authorizations(transaction)).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE },
      { action: 'dynamodb:UpdateItem', resource: 'arn:aws:dynamodb:local:000000000000:table/Audit' },
      { action: 'dynamodb:ConditionCheckItem', resource: TABLE },
    ]);
    expect(dynamoDbProtocol.authorizations(request({ target: 'DynamoDB_20120810.Query', json: { TableName: 'Requests', IndexName: 'byDueDate' } }))).toEqual([
      { action: 'dynamodb:Query', resource: `${TABLE}/index/byDueDate` },
    ]);
    expect(dynamoDbProtocol.authorizations(request({ target: 'DynamoDB_20120810.BatchWriteItem', json: { RequestItems: { Requests: [], Audit: [] } } })).map((a) => a.action)).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:BatchWriteItem',
    ]);
  });

  it('S3: objects by key (and version), listings on the bucket, a multi-delete on every key', () => {
    const s3 = (method: string, path: string, query = '', body = '') => s3Protocol.authorizations(request({ method, path, query: new URLSearchParams(query), body: Buffer.from(body) }));
    expect(s3('GET', '/mail/attachments/DRB-1/a%20b.pdf', 'x-id=GetObject')).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::mail/attachments/DRB-1/a b.pdf' }]);
    expect(s3('DELETE', '/mail/a', 'versionId=3')).toEqual([{ action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::mail/a' }]);
    expect(s3('GET', '/mail', 'list-type=2&prefix=people/')).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::mail' }]);
    expect(s3('GET', '/mail', 'versions')).toEqual([{ action: 's3:ListBucketVersions', resource: 'arn:aws:s3:::mail' }]);
    expect(s3('POST', '/mail', 'delete', '<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>1</VersionId></Object></Delete>')).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::mail/a&b' },
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::mail/c' },
    ]);
  });

  it('Secrets Manager by the secret\'s ARN; SES on the identity the mail is sent as', () => {
    expect(secretName(secretArn('OperatorKey'))).toBe('OperatorKey');
    expect(secretsManagerProtocol.authorizations(request({ target: 'secretsmanager.GetSecretValue', json: { SecretId: 'signing' } }))).toEqual([
      { action: 'secretsmanager:GetSecretValue', resource: secretArn('signing') },
    ]);
    const raw = Buffer.from('From: "Privacy" <privacy@Derbes.Local>\r\nTo: a@example.kz\r\nSubject: x\r\n\r\nbody').toString('base64');
    const send = request({ body: Buffer.from(new URLSearchParams({ Action: 'SendRawEmail', 'RawMessage.Data': raw }).toString()) });
    expect(sesProtocol.authorizations(send)).toEqual([{ action: 'ses:SendRawEmail', resource: 'arn:aws:ses:local:000000000000:identity/derbes.local' }]);
    const denied = sesProtocol.accessDenied('no', send);
    expect(denied.status).toBe(403);
    expect(String(denied.body)).toContain('<Code>AccessDenied</Code>');
  });
});

describe('the meter the benches read', () => {
  it('counts an allowed call by its caller and operation, every item it writes and the capacity DynamoDB reports', async () => {
    const meter = new Meter();
    const principals = new Principals(new Denials());
    const principal = principals.add('IntakeFunction', new RolePolicy('IntakeRole', [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchWriteItem'], Resource: TABLE }]));
    const authorization = `AWS4-HMAC-SHA256 Credential=${principal.accessKeyId}/20261129/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00`;
    // DynamoDB Local as the meter sees it: one unit per item written, reported only when asked for; a transaction's
    // index writes apart (two units for the one index it touches here).
    const forwarded: Array<Record<string, unknown>> = [];
    const database = async (request: ServiceRequest) => {
      const body = JSON.parse(request.body.toString('utf8')) as Record<string, any>;
      forwarded.push(body);
      const items = body.TransactItems?.length ?? Object.values(body.RequestItems ?? { t: [1] }).flat().length;
      const capacity =
        body.ReturnConsumedCapacity === 'TOTAL'
          ? { ConsumedCapacity: { TableName: 'Requests', CapacityUnits: items } }
          : body.ReturnConsumedCapacity === 'INDEXES'
            ? { ConsumedCapacity: [{ TableName: 'Requests', CapacityUnits: items + 2, Table: { CapacityUnits: items }, GlobalSecondaryIndexes: { byDueDate: { CapacityUnits: 2 } } }] }
            : {};
      return { status: 200, headers: { 'x-amz-crc32': '1' }, body: JSON.stringify({ Attributes: {}, ...capacity }) };
    };
    const endpoint = new AwsEndpoint('dynamodb', principals, dynamoDbProtocol, database, meter);
    const call = async (target: string, json: Record<string, unknown>) => {
      const signed = request({ target: `DynamoDB_20120810.${target}`, json });
      const response = await endpoint.handle({ ...signed, headers: { ...signed.headers, authorization } });
      return { status: response.status, body: JSON.parse(String(response.body)) as Record<string, unknown>, headers: response.headers };
    };

    const put = await call('PutItem', { TableName: 'Requests', Item: {} });
    const askedFor = await call('UpdateItem', { TableName: 'Requests', Key: {}, ReturnConsumedCapacity: 'TOTAL' });
    // A put of 1,500 bytes (two started KB), an update and a condition check.
    const transacted = { pk: { S: 'DRB-1' }, text: { S: 'я'.repeat(747) } };
    await call('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'Requests', Item: transacted } }, { Update: { TableName: 'Requests' } }, { ConditionCheck: { TableName: 'Requests' } }] });
    await call('BatchWriteItem', { RequestItems: { Requests: [{ PutRequest: {} }, { PutRequest: {} }, { DeleteRequest: {} }] } });
    const refused = await call('DeleteItem', { TableName: 'Requests', Key: {} });

    // The caller gets the capacity only when it asked, and no checksum of a body it does not get.
    expect(put.body).toEqual({ Attributes: {} });
    expect(put.headers['x-amz-crc32']).toBeUndefined();
    expect(askedFor.body.ConsumedCapacity).toEqual({ TableName: 'Requests', CapacityUnits: 1 });
    expect(forwarded.map((body) => body.ReturnConsumedCapacity)).toEqual(['TOTAL', 'TOTAL', 'INDEXES', 'TOTAL']);
    expect(refused.status).toBe(400);
    expect(meter.reading()).toEqual({
      usage: {
        IntakeFunction: {
          calls: { 'dynamodb:PutItem': 1, 'dynamodb:UpdateItem': 1, 'dynamodb:TransactWriteItems': 1, 'dynamodb:BatchWriteItem': 1 },
          // The put, the update, the transaction's put and update (its condition check writes nothing), the batch's three.
          dynamoDbItemWrites: 7,
          readUnits: 0,
          // 1 + 1 + the transaction's two units per item and started KB (4 + 2 + 2) and its index's 2 + 3.
          writeUnits: 15,
          invocations: 0,
          gbSeconds: 0,
        },
      },
      stateTransitions: 0,
    });
  });

  it('asks DynamoDB for the capacity without changing anything else the call says, and hands back what the caller asked for', async () => {
    const meter = new Meter();
    const principals = new Principals(new Denials());
    const principal = principals.add('IntakeFunction', new RolePolicy('IntakeRole', [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE }]));
    const authorization = `AWS4-HMAC-SHA256 Credential=${principal.accessKeyId}/20261129/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00`;
    const forwarded: string[] = [];
    const database = async (request: ServiceRequest) => {
      forwarded.push(request.body.toString('utf8'));
      const body = JSON.parse(request.body.toString('utf8')) as Record<string, any>;
      return { status: 200, headers: {}, body: JSON.stringify({ Item: { text: { S: 'ConsumedCapacity' } }, ConsumedCapacity: { TableName: 'Requests', CapacityUnits: 0.5 }, Echo: body.ReturnConsumedCapacity }) };
    };
    const endpoint = new AwsEndpoint('dynamodb', principals, dynamoDbProtocol, database, meter);
    const call = async (target: string, text: string) => {
      const signed = request({ target: `DynamoDB_20120810.${target}` });
      const response = await endpoint.handle({ ...signed, headers: { ...signed.headers, authorization }, body: Buffer.from(text) });
      return JSON.parse(String(response.body)) as Record<string, unknown>;
    };

    const plain = await call('GetItem', ' {"TableName":"Requests","Key":{"pk":{"S":"я {x}"}}}');
    const none = await call('GetItem', '{"TableName":"Requests","Key":{},"ReturnConsumedCapacity":"NONE"}');
    const asked = await call('GetItem', '{"TableName":"Requests","Key":{},"ReturnConsumedCapacity":"TOTAL"}');

    expect(forwarded.map((text) => JSON.parse(text) as unknown)).toEqual([
      { TableName: 'Requests', Key: { pk: { S: 'я {x}' } }, ReturnConsumedCapacity: 'TOTAL' },
      { TableName: 'Requests', Key: {}, ReturnConsumedCapacity: 'TOTAL' },
      { TableName: 'Requests', Key: {}, ReturnConsumedCapacity: 'TOTAL' },
    ]);
    expect(plain).toEqual({ Item: { text: { S: 'ConsumedCapacity' } }, Echo: 'TOTAL' });
    expect(none).toEqual({ Item: { text: { S: 'ConsumedCapacity' } }, Echo: 'TOTAL' });
    expect(asked).toEqual({ Item: { text: { S: 'ConsumedCapacity' } }, ConsumedCapacity: { TableName: 'Requests', CapacityUnits: 0.5 }, Echo: 'TOTAL' });
    expect(meter.reading().usage.IntakeFunction!.readUnits).toBe(1.5);
  });

  it('bills an invocation by its duration rounded up to the millisecond, times its memory', () => {
    const meter = new Meter();
    meter.invocation('AnswerFunction', 512, 99.2);
    meter.invocation('AnswerFunction', 512, 0.4);
    expect(meter.reading().usage.AnswerFunction).toMatchObject({ invocations: 2, gbSeconds: (101 * 0.5) / 1000 });
  });
});

describe('a presigned URL to the local S3, checked as S3 checks it', () => {
  const BUCKET = 'raw-mail';
  const KEY = 'attachments/DRB-1/0123abcd';
  const objectArn = `arn:aws:s3:::${BUCKET}/attachments/*`;

  /** The local S3 endpoint over a stand-in that answers every GET with the object's key, and a client signing as `principal`. */
  async function endpointFor(principal: (principals: Principals) => { accessKeyId: string; secretAccessKey: string }) {
    const principals = new Principals(new Denials());
    const signer = principal(principals);
    const forwarded: ServiceRequest[] = [];
    const endpoint = new AwsEndpoint('s3', principals, s3Protocol, s3Upstream(async (call) => (forwarded.push(call), { status: 200, headers: { 'content-type': 'image/svg+xml' }, body: call.path })));
    const url = await endpoint.listen();
    const client = new S3Client({ endpoint: url, forcePathStyle: true, region: 'local', credentials: { accessKeyId: signer.accessKeyId, secretAccessKey: signer.secretAccessKey } });
    const presign = (key: string, options: { expiresIn?: number; signingDate?: Date } = {}) =>
      getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key, ResponseContentType: 'application/octet-stream', ResponseContentDisposition: 'attachment; filename="a.pdf"' }), { expiresIn: 60, ...options });
    return { endpoint, presign, forwarded };
  }
  const operator = (principals: Principals) => principals.add('OperatorApi', new RolePolicy('OperatorRole', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: objectArn }]));
  const refusal = async (response: Response) => ({ status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(await response.text())?.[1] });

  it("opens the one object it names, GET only, with the headers it was signed with, its signing kept from the stand-in", async () => {
    const { endpoint, presign, forwarded } = await endpointFor(operator);
    try {
      const response = await fetch(await presign(KEY));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="a.pdf"');
      expect(await response.text()).toBe(`/${BUCKET}/${KEY}`);
      expect([...forwarded[0]!.query.keys()].filter((name) => /^(X-Amz-|response-)/.test(name))).toEqual([]);
      // The same link for another method is refused: its signature covers the method.
      expect(await refusal(await fetch(await presign(KEY), { method: 'DELETE' }))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    } finally {
      await endpoint.stop();
    }
  });

  it('refuses a link changed after it was signed: another key, a path walked back, another header asked for, a version, a dropped parameter', async () => {
    const { endpoint, presign, forwarded } = await endpointFor(operator);
    try {
      const link = new URL(await presign(KEY));
      const changed = (change: (url: URL) => void) => {
        const url = new URL(link);
        change(url);
        return fetch(url);
      };
      for (const change of [
        (url: URL) => (url.pathname = `/${BUCKET}/attachments/DRB-2/0123abcd`),
        (url: URL) => (url.pathname = `/${BUCKET}/attachments/DRB-1/%2E%2E/DRB-2/0123abcd`),
        (url: URL) => url.searchParams.set('response-content-type', 'text/html'),
        (url: URL) => url.searchParams.set('versionId', '1'),
        (url: URL) => url.searchParams.delete('response-content-disposition'),
        (url: URL) => url.searchParams.set('X-Amz-Expires', '604800'),
      ]) {
        expect(await refusal(await changed(change))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
      }
      expect(await refusal(await changed((url) => url.searchParams.delete('X-Amz-Signature')))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
      expect(await refusal(await changed((url) => url.searchParams.set('X-Amz-Credential', 'AKIASOMEONEELSE/20261129/local/s3/aws4_request')))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
      expect(forwarded).toEqual([]);
    } finally {
      await endpoint.stop();
    }
  });

  it('refuses a link past its time, and one its signer may not follow (its role does not reach the object)', async () => {
    const { endpoint, presign, forwarded } = await endpointFor(operator);
    try {
      expect(await refusal(await fetch(await presign(KEY, { signingDate: new Date(Date.now() - 61_000) })))).toEqual({ status: 403, code: 'AccessDenied' });
      expect(await refusal(await fetch(await presign('inbound/ses-1')))).toEqual({ status: 403, code: 'AccessDenied' });
      expect(forwarded).toEqual([]);
    } finally {
      await endpoint.stop();
    }
  });
});
