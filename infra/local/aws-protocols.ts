import { randomUUID } from 'node:crypto';
import { jsonBodyOf, jsonError, type ServiceProtocol, type ServiceRequest, type ServiceResponse, type Upstream } from './aws-endpoint.ts';
import type { Authorization } from './iam.ts';
import { JWKS_PATH, PUBLIC_OPERATIONS } from './identity-host.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, secretArn, secretName, userPoolArn } from './template.ts';

/**
 * For each AWS service the functions call, what a call needs in IAM terms (the service authorization
 * reference's action and resource) and how the service words a refusal, so the SDK raises the error AWS would.
 */

const operation = (request: ServiceRequest) => String(request.headers['x-amz-target'] ?? '').replace(/^[^.]*\./, '');
const jsonBody = (request: ServiceRequest): Record<string, any> => jsonBodyOf(request) ?? {};
const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function jsonService(prefix: string, contentType: string, authorizations: (op: string, body: Record<string, any>) => Authorization[]): ServiceProtocol {
  return {
    authorizations: (request) => authorizations(operation(request), jsonBody(request)).map((a) => ({ ...a, action: `${prefix}:${a.action}` })),
    accessDenied: (message) => jsonError(400, 'AccessDeniedException', message, contentType),
    unrecognizedClient: (message) => jsonError(400, 'UnrecognizedClientException', message, contentType),
  };
}

const tableArn = (name: string) => (name.startsWith('arn:') ? name : `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`);

/** DynamoDB: a transaction needs each of its parts' own actions (there is no TransactWriteItems action). */
export const dynamoDbProtocol = jsonService('dynamodb', 'application/x-amz-json-1.0', (op, body) => {
  switch (op) {
    case 'TransactWriteItems':
      return (body.TransactItems ?? []).flatMap((item: Record<string, { TableName: string }>) => {
        const parts: Array<[string, string]> = [
          ['Put', 'PutItem'],
          ['Update', 'UpdateItem'],
          ['Delete', 'DeleteItem'],
          ['ConditionCheck', 'ConditionCheckItem'],
        ];
        return parts.filter(([kind]) => item[kind]).map(([kind, action]) => ({ action, resource: tableArn(item[kind]!.TableName) }));
      });
    case 'TransactGetItems':
      return (body.TransactItems ?? []).map((item: { Get: { TableName: string } }) => ({ action: 'GetItem', resource: tableArn(item.Get.TableName) }));
    case 'BatchWriteItem':
    case 'BatchGetItem':
      return Object.keys(body.RequestItems ?? {}).map((table) => ({ action: op, resource: tableArn(table) }));
    case 'Query':
    case 'Scan':
      return [{ action: op, resource: body.IndexName ? `${tableArn(body.TableName)}/index/${body.IndexName}` : tableArn(body.TableName) }];
    default:
      return [{ action: op, resource: typeof body.TableName === 'string' ? tableArn(body.TableName) : '*' }];
  }
});

export function stepFunctionsProtocol(stateMachineArn: string): ServiceProtocol {
  return jsonService('states', 'application/x-amz-json-1.0', (op, body) => {
    switch (op) {
      case 'StartExecution':
      case 'ListExecutions':
        return [{ action: op, resource: String(body.stateMachineArn ?? '') }];
      // A task token belongs to an execution of this host's one state machine.
      case 'SendTaskSuccess':
      case 'SendTaskFailure':
      case 'SendTaskHeartbeat':
        return [{ action: op, resource: stateMachineArn }];
      case 'DescribeExecution':
      case 'StopExecution':
        return [{ action: op, resource: String(body.executionArn ?? '') }];
      default:
        return [{ action: op, resource: '*' }];
    }
  });
}

export const secretsManagerProtocol = jsonService('secretsmanager', 'application/x-amz-json-1.1', (op, body) => [
  { action: op, resource: typeof body.SecretId === 'string' ? secretArn(secretName(body.SecretId)) : '*' },
]);

/**
 * Cognito user pools: the admin API needs its action on the pool; the sign-in flow (and the JWKS, and a browser's
 * CORS preflight) is public, as in AWS.
 */
export const cognitoProtocol: ServiceProtocol = {
  ...jsonService('cognito-idp', 'application/x-amz-json-1.1', (op, body) => [{ action: op, resource: typeof body.UserPoolId === 'string' ? userPoolArn(body.UserPoolId) : '*' }]),
  // Only the JWKS is public by GET; an operation is a POST (a GET carrying X-Amz-Target must not slip past IAM).
  isPublic: (request) =>
    request.method === 'OPTIONS' ||
    (request.method === 'GET' && JWKS_PATH.test(request.path)) ||
    (request.method === 'POST' && PUBLIC_OPERATIONS.has(operation(request))),
};

function s3Error(status: number, code: string, message: string): ServiceResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
  };
}

const xmlUnescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The query parameters that sign a presigned URL: checked by the endpoint (iam.ts), never passed on to s3rver. */
const QUERY_SIGNATURE = new Set(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256']);
/** The response headers a signed GET may set by a `response-…` query parameter (S3's GetObject). */
const RESPONSE_OVERRIDES = new Set(['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding']);

/**
 * S3 in front of s3rver, which is called unsigned (the endpoint has checked the caller): a presigned URL's signing
 * parameters stay here, and the headers a signed GET asks S3 to answer with (`response-content-disposition`, …) are
 * set on s3rver's answer, as s3rver honours them only for calls signed with its own key.
 */
export function s3Upstream(forward: Upstream): Upstream {
  return async (request) => {
    const query = new URLSearchParams();
    const overrides: Record<string, string> = {};
    for (const [name, value] of request.query) {
      const header = name.startsWith('response-') ? name.slice('response-'.length) : undefined;
      if (header && RESPONSE_OVERRIDES.has(header) && (request.method === 'GET' || request.method === 'HEAD')) overrides[header] = value;
      else if (!QUERY_SIGNATURE.has(name)) query.append(name, value);
    }
    const response = await forward({ ...request, query });
    return response.status < 300 ? { ...response, headers: { ...response.headers, ...overrides } } : response;
  };
}

/** S3, path-style (the functions' clients use it against local endpoints): bucket and object ARNs. */
export const s3Protocol: ServiceProtocol = {
  authorizations(request) {
    const [, bucketPart = '', ...keyParts] = request.path.split('/');
    const bucket = decodeURIComponent(bucketPart);
    const key = keyParts.map(decodeURIComponent).join('/');
    const q = request.query;
    const bucketArn = `arn:aws:s3:::${bucket}`;
    const one = (action: string, resource: string): Authorization[] => [{ action: `s3:${action}`, resource }];
    if (!bucket) return one('ListAllMyBuckets', '*');
    if (key) {
      const objectArn = `${bucketArn}/${key}`;
      switch (request.method) {
        case 'GET':
        case 'HEAD':
          return one(q.has('versionId') ? 'GetObjectVersion' : 'GetObject', objectArn);
        case 'PUT': {
          const copySource = request.headers['x-amz-copy-source'];
          const source = typeof copySource === 'string' ? one('GetObject', `arn:aws:s3:::${decodeURIComponent(copySource.replace(/^\//, '').split('?')[0]!)}`) : [];
          return [...one('PutObject', objectArn), ...source];
        }
        case 'DELETE':
          return one(q.has('versionId') ? 'DeleteObjectVersion' : 'DeleteObject', objectArn);
        case 'POST':
          return one('PutObject', objectArn); // multipart upload steps
        default:
          return one(`${request.method}Object`, objectArn);
      }
    }
    if (request.method === 'POST' && q.has('delete')) {
      // DeleteObjects needs DeleteObject (or DeleteObjectVersion) on every key it names.
      const objects = [...request.body.toString('utf8').matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => m[1]!);
      return objects.flatMap((object) => {
        const objectKey = xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(object)?.[1] ?? '');
        return one(/<VersionId>/.test(object) ? 'DeleteObjectVersion' : 'DeleteObject', `${bucketArn}/${objectKey}`);
      });
    }
    if (request.method === 'GET' && q.has('versions')) return one('ListBucketVersions', bucketArn);
    if (request.method === 'GET' && q.has('versioning')) return one('GetBucketVersioning', bucketArn);
    if (request.method === 'GET' && q.has('location')) return one('GetBucketLocation', bucketArn);
    if (request.method === 'GET' || request.method === 'HEAD') return one('ListBucket', bucketArn);
    if (request.method === 'PUT') return one('CreateBucket', bucketArn);
    if (request.method === 'DELETE') return one('DeleteBucket', bucketArn);
    return one(`${request.method}Bucket`, bucketArn);
  },
  accessDenied: (message) => s3Error(403, 'AccessDenied', message),
  unrecognizedClient: () => s3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'),
  signatureRefused: (error) => s3Error(error.code === 'AuthorizationQueryParametersError' ? 400 : 403, error.code, error.message),
};

/** The identity a message is sent as: the domain of its Source (or its From header), as SES authorizes it. */
export function sesIdentityArn(address: string): string {
  const domain = address.split('@').pop()!.toLowerCase();
  return `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/${domain}`;
}

/** The sender of a raw message: SES' Source parameter, else the address in its From header. */
export function rawSender(form: URLSearchParams): string {
  const source = form.get('Source');
  if (source) return /<([^>]+)>/.exec(source)?.[1] ?? source;
  const raw = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64').toString('utf8');
  const headers = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const from = /^From:[^\n]*?([^\s<>"]+@[^\s<>"]+)/im.exec(headers.replace(/\r?\n[ \t]+/g, ' '));
  return from?.[1] ?? '';
}

/**
 * SES: the classic Query API (SendRawEmail, on the sending identity) and SES v2's REST API (the account-level
 * suppression list), which share one endpoint in AWS as they do here.
 */
export const sesProtocol: ServiceProtocol = {
  authorizations(request) {
    if (request.path.startsWith('/v2/')) {
      if (request.method === 'PUT' && request.path === '/v2/email/suppression/addresses') return [{ action: 'ses:PutSuppressedDestination', resource: '*' }];
      return [{ action: `ses:${request.method}${request.path}`, resource: '*' }];
    }
    const form = new URLSearchParams(request.body.toString('utf8'));
    const action = form.get('Action') ?? '';
    if (action === 'SendRawEmail' || action === 'SendEmail') return [{ action: `ses:${action}`, resource: sesIdentityArn(rawSender(form)) }];
    return [{ action: `ses:${action}`, resource: '*' }];
  },
  accessDenied: (message, request) => sesError(403, 'Sender', 'AccessDenied', message, request.path.startsWith('/v2/')),
  unrecognizedClient: (message, request) => sesError(403, 'Sender', 'InvalidClientTokenId', message, request.path.startsWith('/v2/')),
};

/** An error of the SES Query API (v1) or, for /v2/ paths, of its REST API. */
export function sesError(status: number, type: 'Sender' | 'Receiver', code: string, message: string, v2 = false): ServiceResponse {
  if (v2) return { status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${code}Exception` }, body: JSON.stringify({ message }) };
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}
