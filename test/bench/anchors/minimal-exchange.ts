/**
 * Anchor for `npm run bench` (never deployed): the least an exchange-shaped Lambda does.
 * Init: import and build the same SDK clients as gatepass's exchange function (DynamoDB,
 * Secrets Manager) and read one secret (the token endpoint client's) with a top-level
 * await. Per request: one GetItem, one RFC 8693 exchange at the token endpoint, one PutItem
 * of the issued token, one keep-alive forward to the upstream with it. No configuration,
 * validation, encryption or logging.
 * Environment: ANCHOR_SECRET_ID, ANCHOR_TABLE, ANCHOR_TOKEN_ENDPOINT, ANCHOR_UPSTREAM (and
 * the AWS endpoint variables the bench gives both functions).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { send } from './anchor-http.js';

const table = process.env['ANCHOR_TABLE']!;
const tokenEndpoint = new URL(process.env['ANCHOR_TOKEN_ENDPOINT']!);
const upstream = process.env['ANCHOR_UPSTREAM']!.replace(/\/$/, '');
const dynamo = new DynamoDBClient({});
const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: process.env['ANCHOR_SECRET_ID']! }));
const client = JSON.parse(secret.SecretString ?? '{}') as { client_id: string; client_secret: string };
const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;

interface ProxyEvent {
  readonly rawPath?: string;
  readonly headers?: Record<string, string | undefined>;
}

export const handler = async (event: ProxyEvent) => {
  const subjectToken = (event.headers?.['authorization'] ?? '').slice('Bearer '.length);
  const pk = { S: `anchor#${subjectToken.slice(-43)}` };
  await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk }, ConsistentRead: true }));
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: 'orders',
    resource: 'https://orders.example',
    scope: 'orders:read',
  }).toString();
  const exchanged = await send(tokenEndpoint, 'POST', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form);
  if (exchanged.status !== 200) return { statusCode: 502, body: '' };
  const issued = JSON.parse(exchanged.body.toString('utf8')) as { access_token: string; expires_in: number };
  await dynamo.send(new PutItemCommand({ TableName: table, Item: { pk, token: { S: issued.access_token }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + issued.expires_in) } } }));
  const answer = await send(new URL(`${upstream}${event.rawPath ?? '/'}`), 'GET', { authorization: `Bearer ${issued.access_token}`, accept: 'application/json' });
  return { statusCode: answer.status, headers: { 'content-type': answer.contentType }, body: answer.body.toString('utf8') };
};
